package bot

import (
	"context"
	"time"
)

// Role is what a staff member may do.
type Role string

// The three roles of the campaign.
const (
	RoleWorker Role = "worker" // 社工/居委干部: one committee's households
	RoleLeader Role = "leader" // 街道/科办领导: reads everything
	RoleAdmin  Role = "admin"  // 社区服务办 管理员: everything
)

// Staff is one registered user of the bot.
type Staff struct {
	UserID    string
	Name      string
	Role      Role
	Committee string // 居委会; required for workers
}

// Directory finds staff by WeCom userid.
type Directory map[string]Staff

// Lookup returns the staff member with the given userid.
func (d Directory) Lookup(userID string) (Staff, bool) {
	s, ok := d[userID]
	return s, ok
}

// Clock returns the campaign time. Tests and demos inject a fixed one.
type Clock func() time.Time

// Incoming is one message from a WeCom user, already verified and decrypted.
type Incoming struct {
	MsgID    string // WeCom MsgId; for events a synthetic key
	From     string // FromUserName (userid)
	MsgType  string // text, image, voice, video, file, location, link, event
	Text     string // Content for text messages
	MediaID  string // for file/image/voice/video
	FileName string // for file messages
	Event    string // for events
	At       time.Time
}

// Reply is what the bot answers. Text alone, short enough, goes back
// passively; Markdown, File or a long Text are pushed with message/send.
type Reply struct {
	Text     string
	Markdown string
	File     *File
}

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

// MediaFetcher downloads a file a user sent (WeCom media/get). A file
// refused for what it is (too large) is a *UserError, answered as such.
type MediaFetcher interface {
	FetchMedia(ctx context.Context, mediaID string) ([]byte, error)
}

// ImportRow is one data row of a household list (.xlsx or .csv), keyed by
// the canonical column names 户主, 人数, 类别, 身份证, 电话, 地址, 居委.
type ImportRow struct {
	Line   int // 1-based row number in the sheet, header included
	Fields map[string]string
}

// SheetReader turns an uploaded file into rows. It returns a *UserError
// when the file as a whole cannot be read (wrong type, no header row).
type SheetReader func(fileName string, data []byte) ([]ImportRow, error)
