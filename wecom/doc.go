// Package wecom speaks WeCom's (企业微信) protocols for the bot: the
// encrypted callback (URL check, incoming messages, passive replies), the
// server API (app messages, group chats, group robots, temporary media)
// and, for the terminal chat and load tool, the client side of the
// callback, so a test can sign and encrypt a message exactly as WeCom does.
//
// Callback errors are ErrSignature, ErrReceiver and ErrMalformed (test them
// with errors.Is); API failures are *APIError (errors.As). No error text
// produced here carries an access token, and personal data is never logged.
package wecom
