// Package handlers is the HTTP edge of 送暖: the WeCom callback (URL check
// and messages), health and readiness probes and metrics. It verifies,
// decrypts and deduplicates, hands the message to the bot and replies;
// the decisions themselves live in package bot.
package handlers
