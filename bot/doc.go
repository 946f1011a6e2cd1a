// Package bot is the domain of 送暖: staff and roles, households and their
// entitlements under a subsidy policy, visits and payments, the campaign
// schedule, the command router and every Chinese reply text.
//
// It imports no HTTP framework, no Redis client and no WeCom SDK. What it
// needs from the outside world it declares here as interfaces (Store,
// Sender) and the program wires real implementations in main.
package bot
