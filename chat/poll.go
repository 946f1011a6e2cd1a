package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Pushed is one message the bot pushed, as the fake WeCom API's sent
// list (GET /_fake/sent) reports it. A file's bytes are not in the list:
// they are fetched by MediaID.
type Pushed struct {
	Seq      int64     `json:"seq"`
	Time     time.Time `json:"time"`
	Kind     string    `json:"kind"` // text, markdown, textcard, file
	ToUsers  []string  `json:"to_users"`
	ChatID   string    `json:"chat_id"`   // app group chat
	RobotKey string    `json:"robot_key"` // group robot
	Text     string    `json:"text"`      // text or markdown body, textcard description
	Title    string    `json:"title"`
	URL      string    `json:"url"`
	MediaID  string    `json:"media_id"`
	FileName string    `json:"file_name"`
	FileSize int       `json:"file_size"`
}

// poller shows pushed messages as they arrive. Only one goroutine uses
// it at a time.
type poller struct {
	s     *session
	since int64
	off   bool // the bot has no fake API: nothing to poll
	// failing is set after a failed poll, so a bot that went away is
	// reported once, not every second.
	failing bool
}

// start learns the newest record so far: what was pushed before this
// session is not shown again.
func (p *poller) start(ctx context.Context) {
	recs, ok := p.fetch(ctx)
	if ok && len(recs) > 0 {
		p.since = recs[len(recs)-1].Seq
	}
}

func (p *poller) run(ctx context.Context) {
	t := time.NewTicker(p.s.opt.PollInterval)
	defer t.Stop()
	for !p.off {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			p.poll(ctx)
		}
	}
}

// poll prints what was pushed since the last poll.
func (p *poller) poll(ctx context.Context) {
	recs, ok := p.fetch(ctx)
	if !ok {
		return
	}
	for _, r := range recs {
		if r.Seq <= p.since {
			continue
		}
		p.since = r.Seq
		p.show(ctx, r)
	}
}

func (p *poller) fetch(ctx context.Context) ([]Pushed, bool) {
	if p.off {
		return nil, false
	}
	recs, err := p.s.client.Pushed(ctx, p.s.opt.UserID, p.since)
	switch {
	case errors.Is(err, ErrNoFakeAPI):
		p.off = true
		p.s.noPush.Store(true)
		p.s.out.printf("（这个机器人不在演示模式：推送的消息、文件和群发请在企业微信里查看。）\n")
		return nil, false
	case err != nil:
		if ctx.Err() == nil && !p.failing {
			p.s.out.printf("（暂时取不到推送消息：%v；稍后自动重试。）\n", rootCause(err))
		}
		p.failing = true
		return nil, false
	}
	if p.failing {
		p.s.out.printf("（推送消息恢复正常。）\n")
	}
	p.failing = false
	return recs, true
}

// show prints one pushed message; a file is saved and its path printed.
func (p *poller) show(ctx context.Context, r Pushed) {
	text := p.text(ctx, r) // before the line is cleared: a download takes a moment
	if p.s.opt.Terminal {
		// A push may arrive while the prompt waits for input: start it
		// on a clean line rather than after "wang> ".
		text = "\r\x1b[K" + text
	}
	p.s.out.printf("%s\n", text)
}

// text is how a pushed message reads in the terminal.
func (p *poller) text(ctx context.Context, r Pushed) string {
	from := "推送"
	switch {
	case r.RobotKey != "":
		from = "群机器人"
	case r.ChatID != "":
		from = "群聊"
	case slices.Contains(r.ToUsers, "@all"):
		from = "全员推送"
	}
	switch r.Kind {
	case "file":
		return fmt.Sprintf("【%s·文件】%s", from, p.file(ctx, r))
	case "markdown":
		return fmt.Sprintf("【%s·markdown】%s", from, indent(r.Text))
	case "textcard":
		return fmt.Sprintf("【%s·卡片】%s", from, indent(strings.TrimSpace(r.Title+"\n"+r.Text+"\n"+r.URL)))
	}
	return fmt.Sprintf("【%s】%s", from, indent(r.Text))
}

// file downloads a pushed file, saves it and says where.
func (p *poller) file(ctx context.Context, r Pushed) string {
	data, err := p.s.client.Media(ctx, r.MediaID)
	if err != nil {
		return fmt.Sprintf("%s（%d 字节）下载失败：%v", r.FileName, r.FileSize, rootCause(err))
	}
	path, err := p.s.saveFile(r.FileName, data)
	if err != nil {
		return fmt.Sprintf("%s（%d 字节）保存失败：%v", r.FileName, len(data), err)
	}
	return fmt.Sprintf("%s 已保存到 %s", r.FileName, path)
}
