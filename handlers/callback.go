package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"songnuan/bot"
	"songnuan/wecom"
)

// Bot is what the callback needs of the domain.
type Bot interface {
	Handle(ctx context.Context, in bot.Incoming) (bot.Reply, error)
	NeedsStore(in bot.Incoming) bool
}

// Dedup remembers which messages were handled and the reply each got,
// so a re-delivery has no second effect and gets the same answer. It also
// counts each user's messages against a per-minute limit shared by every
// instance, in the same round trip as the claim (see store.Store).
type Dedup interface {
	ClaimMessageLimited(ctx context.Context, key, owner string, pendingTTL time.Duration, user string, perMinute int) (bot.ClaimState, string, bool, error)
	SaveReply(ctx context.Context, key, reply string, ttl time.Duration) error
	SaveReplyOnceLimited(ctx context.Context, key, reply string, ttl time.Duration, user string, perMinute int) (string, bool, error)
	ReleaseClaim(ctx context.Context, key, owner string) error
	RenewClaim(ctx context.Context, key, owner string, ttl time.Duration) (bool, error)
	WaitReply(ctx context.Context, key string) (string, bool, error)
}

// Callback serves WeCom's callback URL.
type Callback struct {
	Bot      Bot
	Crypto   *wecom.Crypto
	CorpID   string
	Dedup    Dedup
	Pusher   *Pusher
	Metrics  *Metrics
	Log      *slog.Logger
	MaxBody  int64         // request body cap in bytes
	DedupTTL time.Duration // how long a MsgId is remembered; also the replay window
	// Budget is how long a request may take before the reply is pushed
	// instead: WeCom gives up after 5 s and re-delivers.
	Budget time.Duration
	// Now is the real clock, for the replay window (never the campaign clock).
	Now func() time.Time
	// RateLimit is how many messages one user may send per minute; more
	// are refused with a reply saying so. Zero means no limit. Events do
	// not count.
	RateLimit int
	// Imports bounds how many files (household lists) this instance reads
	// and imports at once, each a few tens of MB at its peak; its capacity
	// is the bound, nil means none. A file over it waits its turn, and the
	// sender is told so at once.
	Imports chan struct{}
}

// msgImportQueued tells a worker their file waits for others to finish.
const msgImportQueued = "已收到文件。前面还有名单在导入，您的文件已排队，导入完成后会发送结果，不必重发。"

// msgImportBusy answers a file that waited its turn for too long.
const msgImportBusy = "导入繁忙，您的文件排队超过5分钟，未导入。请过几分钟重发该文件，已导入的不会重复。"

// importWait bounds how long a file waits for its turn.
const importWait = 5 * time.Minute

// pendingTTL bounds a claim whose handler died: WeCom's re-delivery
// after it expires is handled afresh (the bot's own per-message
// idempotency still prevents a second effect). The delivery that handles
// a message renews its claim every renewEvery while it works, so the
// claim outlives a live handler however slow, but a killed process's
// claim lapses within pendingTTL: WeCom re-delivers about every 5 s, three
// times in all, and the next re-delivery (or one already waiting for the
// reply) then handles the message.
const (
	pendingTTL = 3 * time.Second
	renewEvery = time.Second
)

// Verify answers WeCom's GET URL check with the bare decrypted echostr.
func (h *Callback) Verify(c *gin.Context) {
	plain, err := h.Crypto.VerifyURL(c.Query("msg_signature"), c.Query("timestamp"), c.Query("nonce"), c.Query("echostr"))
	if err != nil {
		h.refuse(c, "verify", err)
		return
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", plain)
}

// Receive handles one POSTed message or event.
func (h *Callback) Receive(c *gin.Context) {
	start := time.Now()
	sig, ts, nonce := c.Query("msg_signature"), c.Query("timestamp"), c.Query("nonce")
	if sig == "" || ts == "" || nonce == "" {
		h.Metrics.Messages.WithLabelValues("unknown", "bad_request").Inc()
		c.String(http.StatusBadRequest, "missing msg_signature, timestamp or nonce")
		return
	}
	body, err := readBody(c, h.MaxBody)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		h.Metrics.Messages.WithLabelValues("unknown", "too_large").Inc()
		c.String(http.StatusRequestEntityTooLarge, "body too large")
		return
	case err != nil:
		// The client hung up or sent less than it announced.
		h.Metrics.Messages.WithLabelValues("unknown", "bad_request").Inc()
		c.String(http.StatusBadRequest, "incomplete body")
		return
	}
	msg, err := h.Crypto.Open(sig, ts, nonce, body)
	if err != nil {
		h.refuse(c, "receive", err)
		return
	}
	if !h.fresh(ts) {
		h.Metrics.Messages.WithLabelValues(msg.MsgType, "replay").Inc()
		c.String(http.StatusForbidden, "timestamp outside the replay window")
		return
	}
	in := bot.Incoming{
		MsgID: msg.MsgID, From: msg.FromUserName, MsgType: msg.MsgType, Text: msg.Content,
		MediaID: msg.MediaID, FileName: msg.FileName, Event: msg.Event, EventKey: msg.EventKey, At: time.Unix(msg.CreateTime, 0),
	}
	key := dedupKey(msg)
	if in.MsgID == "" {
		in.MsgID = key
	}
	outcome := h.answer(c, in, key, msg, ts, nonce)
	lat := time.Since(start)
	h.Metrics.Messages.WithLabelValues(msg.MsgType, outcome).Inc()
	h.Metrics.Latency.Observe(lat.Seconds())
	h.Log.LogAttrs(c.Request.Context(), slog.LevelInfo, "message",
		slog.String("msg_id", in.MsgID), slog.String("user", in.From), slog.String("type", msg.MsgType),
		slog.String("outcome", outcome), slog.Duration("latency", lat))
}

// readBody reads the request body, at most limit bytes. A body that says
// its length is read into a buffer of that size at once.
func readBody(c *gin.Context, limit int64) ([]byte, error) {
	r := http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	n := c.Request.ContentLength
	if n <= 0 || n > limit {
		return io.ReadAll(r)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	return body, nil
}

// dedupKey is MsgId for messages and FromUserName+CreateTime+Event for
// events, exactly as WeCom documents: a coarser key drops real messages.
func dedupKey(m wecom.Message) string {
	if m.MsgType == "event" || m.MsgID == "" {
		return "e:" + m.FromUserName + ":" + strconv.FormatInt(m.CreateTime, 10) + ":" + m.Event + ":" + m.EventKey
	}
	return bot.MessageOpID(m.MsgID)
}

// rateLimitedText is the reply to a message over the per-user limit.
func rateLimitedText(perMinute int) string {
	return fmt.Sprintf("消息太频繁：每分钟最多%d条，请稍等1分钟再发。", perMinute)
}

// answer runs the message through dedup and the bot and writes the HTTP
// response; it returns the outcome label for metrics and logs.
func (h *Callback) answer(c *gin.Context, in bot.Incoming, key string, msg wecom.Message, ts, nonce string) string {
	ctx := c.Request.Context()
	limitUser := in.From
	if msg.MsgType == "event" {
		limitUser = ""
	}
	if !h.Bot.NeedsStore(in) {
		r, err := h.Bot.Handle(ctx, in)
		if err != nil || r.File != nil || r.Markdown != "" {
			// NeedsStore promised a pure text reply; anything else is a bug
			// worth seeing, handled the slow, safe way below.
			h.Log.Error("pure reply was not plain text", "msg_id", in.MsgID, "err", err)
		} else {
			text, over, err := h.Dedup.SaveReplyOnceLimited(ctx, key, r.Text, h.DedupTTL, limitUser, h.RateLimit)
			if err != nil {
				return h.unavailable(c, err)
			}
			if over {
				return h.limited(c, msg, ts, nonce)
			}
			if text != r.Text {
				h.Metrics.DedupHits.Inc()
			}
			h.reply(c, msg, text, ts, nonce)
			return "ok"
		}
	}
	for try := 0; ; try++ {
		owner := bot.NewOwner()
		state, stored, over, err := h.Dedup.ClaimMessageLimited(ctx, key, owner, pendingTTL, limitUser, h.RateLimit)
		if err != nil {
			// Redis may have made the claim and lost only its answer;
			// it is in trouble, so release in the background only.
			h.release(key, owner, false)
			return h.unavailable(c, err)
		}
		if over {
			// Not handled, so not remembered: a re-delivery after the
			// window is handled afresh.
			h.release(key, owner, true)
			return h.limited(c, msg, ts, nonce)
		}
		switch state {
		case bot.ClaimDone:
			h.Metrics.DedupHits.Inc()
			h.reply(c, msg, stored, ts, nonce)
			return "duplicate"
		case bot.ClaimPending:
			h.Metrics.DedupHits.Inc()
			wctx, cancel := context.WithTimeout(ctx, h.Budget)
			text, done, err := h.Dedup.WaitReply(wctx, key)
			waited := wctx.Err() != nil
			cancel()
			switch {
			case err == nil && done:
				h.reply(c, msg, text, ts, nonce)
				return "duplicate"
			case err == nil && !waited && try == 0:
				// The claim went away unanswered: its delivery gave up.
				continue
			}
			// No answer yet. The claiming delivery may be late (it then
			// pushes its reply) or may have died: an empty 200 would end
			// WeCom's retries and could lose the message, a 503 lets a
			// retry find the reply, or the claim gone.
			c.String(http.StatusServiceUnavailable, "being handled")
			return "pending"
		}
		return h.handle(c, in, key, owner, msg, ts, nonce)
	}
}

type result struct {
	reply bot.Reply
	err   error
}

// handle runs the bot for a claimed message. A reply that is ready within
// the budget and fits goes back passively; otherwise it is pushed.
func (h *Callback) handle(c *gin.Context, in bot.Incoming, key, owner string, msg wecom.Message, ts, nonce string) string {
	done := make(chan result, 1)
	go func() {
		if in.MsgType == "file" && h.Imports != nil {
			if !h.importTurn(in, key) {
				done <- result{reply: bot.Reply{Text: msgImportBusy}}
				return
			}
			defer func() { <-h.Imports }()
		}
		// Detached from the request: WeCom may hang up, the work must finish.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), time.Minute)
		defer cancel()
		defer func() {
			if p := recover(); p != nil {
				// A bug, not the user's fault: say so instead of crashing
				// the process or leaving the user without an answer.
				h.Metrics.Errors.WithLabelValues("panic").Inc()
				h.Log.Error("panic handling message", "msg_id", in.MsgID, "panic", fmt.Sprint(p))
				done <- result{reply: bot.Reply{Text: bot.MsgBusy}}
			}
		}()
		r, err := h.Bot.Handle(ctx, in)
		done <- result{r, err}
	}()
	finished := make(chan struct{})
	go h.hold(key, owner, finished)
	timer := time.NewTimer(h.Budget)
	defer timer.Stop()
	select {
	case res := <-done:
		close(finished)
		if res.err != nil {
			return h.failed(c, key, owner, res.err)
		}
		passive := res.reply.File == nil && res.reply.Markdown == "" && len(res.reply.Text) <= maxText
		stored := ""
		if passive {
			stored = res.reply.Text
		} else {
			// In the outbox before the reply is marked: a crash between
			// the two leaves the claim to lapse, and the re-handled
			// message's push is the same one, not a second.
			h.Pusher.Push(in.From, res.reply, key)
		}
		if err := h.Dedup.SaveReply(context.WithoutCancel(c.Request.Context()), key, stored, h.DedupTTL); err != nil {
			h.Log.Error("save reply", "msg_id", in.MsgID, "err", err)
		}
		if passive {
			h.reply(c, msg, stored, ts, nonce)
			return "ok"
		}
		c.Status(http.StatusOK)
		return "pushed"
	case <-timer.C:
		c.Status(http.StatusOK)
		go func() {
			res := <-done
			close(finished)
			ctx := context.Background()
			if res.err != nil {
				h.Log.Error("late handling failed", "msg_id", in.MsgID, "err", res.err)
				h.release(key, owner, true)
				h.Pusher.Push(in.From, bot.Reply{Text: "刚才的消息没有处理成功，未作记录，请稍后重发。"}, key+":failed")
				return
			}
			h.Pusher.Push(in.From, res.reply, key)
			if err := h.Dedup.SaveReply(ctx, key, "", h.DedupTTL); err != nil {
				h.Log.Error("save reply", "msg_id", in.MsgID, "err", err)
			}
		}()
		return "late"
	}
}

// importTurn waits for a free import slot, telling the sender at once
// when there is none; false means it waited importWait in vain.
func (h *Callback) importTurn(in bot.Incoming, key string) bool {
	select {
	case h.Imports <- struct{}{}:
		return true
	default:
	}
	h.Pusher.Push(in.From, bot.Reply{Text: msgImportQueued}, key+":queued")
	t := time.NewTimer(importWait)
	defer t.Stop()
	select {
	case h.Imports <- struct{}{}:
		return true
	case <-t.C:
		return false
	}
}

// hold renews owner's claim on key until finished is closed. A renewal
// that fails (Redis unreachable for a moment) is tried again at the next
// tick; a claim found lost is left lost: another delivery may be handling
// the message, and the bot's operation ids keep that to one effect.
func (h *Callback) hold(key, owner string, finished <-chan struct{}) {
	t := time.NewTicker(renewEvery)
	defer t.Stop()
	for {
		select {
		case <-finished:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), renewEvery)
		held, err := h.Dedup.RenewClaim(ctx, key, owner, pendingTTL)
		cancel()
		switch {
		case err != nil:
			h.Log.Warn("renew claim", "key", key, "err", err)
		case !held:
			h.Log.Warn("claim lost while handling; a re-delivery may handle the message too", "key", key)
			return
		}
	}
}

// limited answers a message refused by the per-user rate limit.
func (h *Callback) limited(c *gin.Context, msg wecom.Message, ts, nonce string) string {
	h.Metrics.RateLimit.Inc()
	h.reply(c, msg, rateLimitedText(h.RateLimit), ts, nonce)
	return "rate_limited"
}

// failed answers a message the bot could not handle. The claim is
// released and the answer is 503, so WeCom re-delivers and nothing the
// user sent is lost; the bot never said 已记录.
func (h *Callback) failed(c *gin.Context, key, owner string, err error) string {
	h.release(key, owner, true)
	return h.unavailable(c, err)
}

// release gives up the claim owner made on key, so that a re-delivery is
// handled afresh: at once when now is set (briefly, so the answer is not
// held up), and otherwise, or when that fails, in the background. The
// claim usually failed because Redis could not be reached, and then
// neither can the release: it is tried again until Redis is back or the
// claim has lapsed by itself. The owner makes a late release safe: it
// never removes another delivery's claim, or a reply.
func (h *Callback) release(key, owner string, now bool) {
	try := func(d time.Duration) error {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		return h.Dedup.ReleaseClaim(ctx, key, owner)
	}
	if now && try(500*time.Millisecond) == nil {
		return
	}
	go func() {
		end := time.Now().Add(pendingTTL)
		for wait := 100 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
			err := try(2 * time.Second)
			if err == nil {
				return
			}
			if time.Now().Add(wait).After(end) {
				h.Log.Warn("could not release a claim; re-deliveries wait until it lapses", "key", key, "err", err)
				return
			}
			time.Sleep(wait)
		}
	}()
}

func (h *Callback) unavailable(c *gin.Context, err error) string {
	h.Metrics.Errors.WithLabelValues("store").Inc()
	h.Log.Error("handle message", "err", err)
	c.String(http.StatusServiceUnavailable, "temporarily unavailable")
	return "unavailable"
}

// reply writes an encrypted passive text reply; an empty text is an
// empty 200, which WeCom takes as "received, no reply".
func (h *Callback) reply(c *gin.Context, msg wecom.Message, text, ts, nonce string) {
	if text == "" {
		c.Status(http.StatusOK)
		return
	}
	plain := wecom.TextReplyXML(msg.FromUserName, h.CorpID, h.Now().Unix(), text)
	body, err := h.Crypto.SealReply(plain, ts, nonce)
	if err != nil {
		h.Metrics.Errors.WithLabelValues("seal").Inc()
		h.Log.Error("seal reply", "err", err)
		c.Status(http.StatusOK)
		return
	}
	c.Data(http.StatusOK, "application/xml; charset=utf-8", body)
}

// fresh reports whether a POST's timestamp lies within the replay window
// of the real clock.
func (h *Callback) fresh(ts string) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := h.Now().Sub(time.Unix(sec, 0))
	return d <= h.DedupTTL && d >= -h.DedupTTL
}

// refuse maps a crypto failure to a 4xx, never a reply.
func (h *Callback) refuse(c *gin.Context, op string, err error) {
	status, kind := http.StatusBadRequest, "malformed"
	switch {
	case errors.Is(err, wecom.ErrSignature):
		status, kind = http.StatusUnauthorized, "signature"
	case errors.Is(err, wecom.ErrReceiver):
		status, kind = http.StatusForbidden, "receiver"
	}
	h.Metrics.Messages.WithLabelValues("unknown", kind).Inc()
	h.Log.Warn("refused callback", "op", op, "reason", kind)
	c.String(status, kind)
}
