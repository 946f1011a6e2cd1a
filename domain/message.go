package domain

import "context"

// File is a document the bot sends back (statistics table, error report).
type File struct {
	Name string
	Data []byte
}

// MessageKind is the WeCom message type of an outgoing Message.
type MessageKind string

// Outgoing message kinds.
const (
	KindText     MessageKind = "text"
	KindMarkdown MessageKind = "markdown"
	KindTextCard MessageKind = "textcard"
	KindFile     MessageKind = "file"
)

// Message is one outgoing message. Exactly one kind of target is used:
// users/parties/tags (app message), ChatID (app group chat) or RobotKey
// (group-robot webhook).
type Message struct {
	ToUsers   []string
	ToParties []string
	ToTags    []string
	ChatID    string
	RobotKey  string

	Kind        MessageKind
	Text        string // text/markdown body, textcard description
	Title       string // textcard title
	URL         string // textcard link
	File        *File
	Idempotency string // stable key so a retried send is not sent twice
}

// Sender delivers outgoing messages (WeCom app messages, group chats, robots).
// Send returns an error for any failure, including a WeCom errcode != 0.
type Sender interface {
	Send(ctx context.Context, m Message) error
}
