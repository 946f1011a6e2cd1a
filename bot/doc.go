// Package bot is the chat side of 送暖: the command router, each command,
// every Chinese reply text, normalisation of what a user types, and the
// sealing of personal numbers before they are stored. The records it
// works on are in domain, the subsidy rules in policy and the campaign
// timeline in schedule.
//
// It imports no HTTP framework, no Redis client and no WeCom SDK. What it
// needs from the outside world it declares here as interfaces (Store) or
// takes from domain (Sender), and the program wires real implementations
// in main.
package bot
