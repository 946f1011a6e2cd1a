// Package bottest gives tests a bot wired the way the program wires it: a
// store on a real Redis (REDIS_URL) or an embedded one under a random key
// prefix, the default policy, a recording sender, files served from memory
// and a campaign clock the test sets.
//
//	bt := bottest.New(t)
//	got := bt.Say(t, "wang", "登记 甲一 低保 3人")
package bottest

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"songnuan/bot"
	"songnuan/domain"
	"songnuan/internal/campaigntest"
	"songnuan/policy"
	"songnuan/schedule"
	"songnuan/sheet"
	"songnuan/store"
	"songnuan/store/storetest"
)

// Zone is campaign time (Shanghai).
var Zone = time.FixedZone("CST", 8*3600)

// Start is the campaign time a new test bot starts at: 2024-01-20 10:00,
// in the visiting phase of the 2024 campaign.
var Start = time.Date(2024, 1, 20, 10, 0, 0, 0, Zone)

// Staff is the directory every test bot has: two workers of 甘泉一村, one
// of 甘泉二村, a leader and an admin.
var Staff = domain.Directory{
	"wang":  {UserID: "wang", Name: "王芳", Role: domain.RoleWorker, Committee: "甘泉一村"},
	"zhao":  {UserID: "zhao", Name: "赵亮", Role: domain.RoleWorker, Committee: "甘泉一村"},
	"chen":  {UserID: "chen", Name: "陈静", Role: domain.RoleWorker, Committee: "甘泉二村"},
	"li":    {UserID: "li", Name: "李书记", Role: domain.RoleLeader},
	"admin": {UserID: "admin", Name: "周敏", Role: domain.RoleAdmin},
}

// Bot is a bot under test with everything it is wired to.
type Bot struct {
	*bot.Bot
	Store  *store.Store
	Sender *Sender
	Media  *Media
	Sealer *bot.Sealer

	now  atomic.Int64 // unix nanoseconds of campaign time
	msgs atomic.Int64
}

// Options change how a test bot is wired; the zero value is New's.
type Options struct {
	Policy *policy.Policy            // default: campaigntest.Policy()
	Store  *store.Store              // share a store with another bot; default: a fresh one
	Wrap   func(bot.Store) bot.Store // wraps the store the bot sees, to inject failures
	Staff  domain.Directory          // default: Staff
	// Schedule is the campaign timeline; default: campaigntest.Schedule().
	Schedule *schedule.Schedule
	// Rescue is where 流浪 alerts go; default: nowhere configured.
	Rescue domain.Message
	// NoExport leaves bot.Config.Exporter unset; by default it is the
	// program's (sheet.Exporter) over the test store.
	NoExport bool
	// WorkbenchURL is bot.Config.WorkbenchURL; default none.
	WorkbenchURL string
}

// New returns a bot for tb; its keys are deleted when tb ends.
func New(tb testing.TB) *Bot { tb.Helper(); return NewWith(tb, Options{}) }

// NewWith returns a bot for tb wired as o says.
func NewWith(tb testing.TB, o Options) *Bot {
	tb.Helper()
	sealer, err := bot.NewSealer([]byte("bottest-data-key-32-bytes-long!!"))
	if err != nil {
		tb.Fatal(err)
	}
	if o.Store == nil {
		o.Store = storetest.Open(tb)
	}
	if o.Policy == nil {
		o.Policy = campaigntest.Policy()
	}
	if o.Schedule == nil {
		o.Schedule = campaigntest.Schedule()
	}
	var st bot.Store = o.Store
	if o.Wrap != nil {
		st = o.Wrap(st)
	}
	b := &Bot{Store: o.Store, Sender: &Sender{}, Media: &Media{files: map[string][]byte{}}, Sealer: sealer}
	b.now.Store(Start.UnixNano())
	if o.Staff == nil {
		o.Staff = Staff
	}
	cfg := bot.Config{
		Store:     st,
		Policy:    o.Policy,
		Staff:     o.Staff,
		Clock:     b.Now,
		Sealer:    sealer,
		Sender:    b.Sender,
		Media:     b.Media,
		ReadSheet: sheet.ReadRows,
		Logger:    slog.New(slog.DiscardHandler),
		Schedule:  o.Schedule,
		Rescue:    o.Rescue,

		WorkbenchURL: o.WorkbenchURL,
	}
	if !o.NoExport {
		cfg.Exporter = sheet.Exporter(o.Store, sealer, b.Now)
	}
	b.Bot, err = bot.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Now is the bot's campaign clock.
func (b *Bot) Now() time.Time { return time.Unix(0, b.now.Load()).In(Zone) }

// SetNow moves the campaign clock.
func (b *Bot) SetNow(t time.Time) { b.now.Store(t.UnixNano()) }

// NextMsgID returns a fresh WeCom-style MsgId.
func (b *Bot) NextMsgID() string { return fmt.Sprintf("%d", 7300000000000000000+b.msgs.Add(1)) }

// Say sends a text from user as a new message and returns the reply text;
// a system error fails the test.
func (b *Bot) Say(tb testing.TB, user, text string) string {
	tb.Helper()
	r, err := b.Deliver(user, b.NextMsgID(), text)
	if err != nil {
		tb.Fatalf("%s: %q: %v", user, text, err)
	}
	return r.Text
}

// Deliver sends a text with a given MsgId, as WeCom does when it delivers
// a message again.
func (b *Bot) Deliver(user, msgID, text string) (bot.Reply, error) {
	return b.Handle(context.Background(), bot.Incoming{MsgID: msgID, From: user, MsgType: "text", Text: text, At: b.Now()})
}

// DeliverAtOnce delivers one message n times concurrently, as WeCom does
// when the bot is slow to answer, and returns each delivery's reply text;
// a system error fails the test.
func (b *Bot) DeliverAtOnce(tb testing.TB, user, msgID, text string, n int) []string {
	tb.Helper()
	var wg sync.WaitGroup
	replies := make([]string, n)
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := b.Deliver(user, msgID, text)
			if err != nil {
				tb.Errorf("delivery %d of %q: %v", i, text, err)
			}
			replies[i] = r.Text
		}()
	}
	wg.Wait()
	return replies
}

// SendFile sends a file message whose content the media fetcher serves.
func (b *Bot) SendFile(tb testing.TB, user, name string, data []byte) bot.Reply {
	tb.Helper()
	id := b.NextMsgID()
	b.Media.Put("media-"+id, data)
	r, err := b.Handle(context.Background(), bot.Incoming{MsgID: id, From: user, MsgType: "file", MediaID: "media-" + id, FileName: name, At: b.Now()})
	if err != nil {
		tb.Fatalf("%s: file %s: %v", user, name, err)
	}
	return r
}

// Counters returns a committee's counters or fails the test.
func (b *Bot) Counters(tb testing.TB, committee string) domain.Counters {
	tb.Helper()
	c, err := b.Store.Counters(context.Background(), committee)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Sender records outgoing messages.
type Sender struct {
	mu   sync.Mutex
	sent []domain.Message
	fail func(domain.Message) error
}

// Send records m, unless the failure set by FailWith refuses it.
func (s *Sender) Send(_ context.Context, m domain.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		if err := s.fail(m); err != nil {
			return err
		}
	}
	s.sent = append(s.sent, m)
	return nil
}

// FailWith makes Send return fail(m) for each message; a message it
// returns nil for is recorded. nil restores normal sending.
func (s *Sender) FailWith(fail func(domain.Message) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = fail
}

// Reset forgets the messages sent so far.
func (s *Sender) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = nil
}

// Sent returns the messages sent so far.
func (s *Sender) Sent() []domain.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]domain.Message(nil), s.sent...)
}

// Media serves uploaded files from memory.
type Media struct {
	mu    sync.Mutex
	files map[string][]byte
}

// Put makes data available under mediaID.
func (m *Media) Put(mediaID string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[mediaID] = data
}

// FetchMedia returns the file stored under mediaID.
func (m *Media) FetchMedia(_ context.Context, mediaID string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.files[mediaID]
	if !ok {
		return nil, fmt.Errorf("media %s: no such file", mediaID)
	}
	return d, nil
}
