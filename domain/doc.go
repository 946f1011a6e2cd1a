// Package domain holds the records every part of 送暖 shares: staff and
// their roles, a household with its category claims, entitlement and
// visits, a committee's counters, an outgoing message and the Sender that
// delivers it, and UserError, the mistake a user is shown as is.
//
// It imports only the standard library. The rules over these records live
// beside it: policy (what a household is due), schedule (the campaign's
// timeline) and bot (the chat commands).
package domain
