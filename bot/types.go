package bot

import (
	"context"
	"time"

	"songnuan/domain"
)

// Incoming is one message from a WeCom user, already verified and decrypted.
type Incoming struct {
	MsgID    string // WeCom MsgId; for events a synthetic key
	From     string // FromUserName (userid)
	MsgType  string // text, image, voice, video, file, location, link, event
	Text     string // Content for text messages
	MediaID  string // for file/image/voice/video
	FileName string // for file messages
	Event    string // for events
	EventKey string // for events: a menu click's key
	At       time.Time
	// Form marks a command built by a form (the workbench pages), not
	// typed: it runs as written, is never read as free text and never
	// waits for a 是.
	Form bool
}

// Reply is what the bot answers. Text alone, short enough, goes back
// passively; Markdown, File or a long Text are pushed with message/send.
type Reply struct {
	Text     string
	Markdown string
	File     *domain.File
	// Refused is set when the answer is the user's mistake to fix
	// (wrong format, no such household, not allowed): nothing changed.
	Refused bool
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
