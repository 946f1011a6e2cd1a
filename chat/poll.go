package chat

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Pushed is one message the bot pushed, as the fake WeCom API recorded it.
type Pushed struct {
	Seq      int64  `json:"seq"`
	Kind     string `json:"kind"` // text, markdown, textcard, file
	Text     string `json:"text"` // text or markdown body, textcard description
	Title    string `json:"title"`
	URL      string `json:"url"`
	FileName string `json:"file_name"`
	File     []byte `json:"file"`
	ChatID   string `json:"chat_id"`
	Robot    bool   `json:"robot"`
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
		p.show(r)
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
func (p *poller) show(r Pushed) {
	from := "推送"
	switch {
	case r.Robot:
		from = "群机器人"
	case r.ChatID != "":
		from = "群聊"
	}
	switch r.Kind {
	case "file":
		path, err := p.s.saveFile(r.FileName, r.File)
		if err != nil {
			p.s.out.printf("【%s·文件】%s（%d 字节），保存失败：%v\n", from, r.FileName, len(r.File), err)
			return
		}
		p.s.out.printf("【%s·文件】%s 已保存到 %s\n", from, r.FileName, path)
	case "markdown":
		p.s.out.printf("【%s·markdown】%s\n", from, indent(r.Text))
	case "textcard":
		body := strings.TrimSpace(r.Title + "\n" + r.Text + "\n" + r.URL)
		p.s.out.printf("【%s·卡片】%s\n", from, indent(body))
	default:
		p.s.out.printf("【%s】%s\n", from, indent(r.Text))
	}
}
