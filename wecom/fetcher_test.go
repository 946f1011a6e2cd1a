package wecom

import "songnuan/bot"

// The client is the bot's MediaFetcher in the program; the assertion sits
// in a test so that the WeCom client (and chat, loadtest through it) need
// not link the chat bot.
var _ bot.MediaFetcher = (*Client)(nil)
