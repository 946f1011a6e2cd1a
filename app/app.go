// Package app wires 送暖 together: configuration, the Redis store, the
// WeCom client, the bot, the broadcast runner, the HTTP server and, in demo
// mode, a fake WeCom API inside the process. main and the end-to-end tests
// share it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"songnuan/bot"
	"songnuan/broadcast"
	"songnuan/config"
	"songnuan/domain"
	"songnuan/handlers"
	"songnuan/policy"
	"songnuan/schedule"
	"songnuan/sheet"
	"songnuan/store"
	"songnuan/wecom"
	"songnuan/wecom/fakeapi"
)

// KeyPrefix starts every Redis key the bot writes when the config names
// no key_prefix.
const KeyPrefix = "sn:"

// MaxHeaderBytes caps a request's line and headers. WeCom's callback URL
// and headers take well under 1 KiB; Go's default of 1 MiB would let any
// client make the server hold a megabyte per connection before a handler
// sees the request.
const MaxHeaderBytes = 16 << 10

// ImportSlots is how many household lists one instance reads and imports
// at once; more wait their turn. Each costs up to about 100 MB at its
// peak (BENCHMARKS.md), and two keep both cores busy.
const ImportSlots = 2

// DemoNow is where the demo's campaign clock starts when SONGNUAN_NOW is
// unset: the visiting phase of the built-in 2024 schedule.
var DemoNow = time.Date(2024, 1, 15, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// App is one running bot.
type App struct {
	Config config.Config
	Store  *store.Store
	Bot    *bot.Bot
	WeCom  *wecom.Client
	Fake   *fakeapi.Server // demo mode only
	Sealer *bot.Sealer
	Log    *slog.Logger
	// Schedule is the campaign schedule the broadcast runner sends.
	Schedule *schedule.Schedule
	// Broadcast sends the schedule's announcements while Run serves.
	Broadcast *broadcast.Runner

	clock    domain.Clock // the one campaign clock the bot and the runner share
	listener net.Listener
	server   *http.Server
	pusher   *handlers.Pusher
	// imports holds a place for each list being read and imported, by a
	// file message or an upload on a page (ImportSlots).
	imports chan struct{}
	metrics *handlers.Metrics

	// reconciled is when the person index was last checked (unix ns);
	// reconciling waits for a check in progress at Close.
	reconciled    atomic.Int64
	reconciling   sync.WaitGroup
	reconcileCtx  context.Context
	stopReconcile context.CancelFunc

	// stopBroadcast ends the runner that Run started; broadcastDone is
	// closed once it has released its lease.
	stopBroadcast context.CancelFunc
	broadcastDone chan struct{}
}

// Options tune New for tests.
type Options struct {
	// Listener, when set, is served instead of listening on Config.HTTPAddr.
	Listener net.Listener
	// KeyPrefix overrides the config's key_prefix (tests use a random one).
	KeyPrefix string
	Logger    *slog.Logger
}

// New builds an App from a validated config. It listens at once, so the
// demo's fake WeCom API address is known before anything uses it.
func New(ctx context.Context, cfg config.Config, opts Options) (*App, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	ln := opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return nil, fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
		}
	}
	a := &App{Config: cfg, Log: log, listener: ln, metrics: handlers.NewMetrics()}
	a.reconcileCtx, a.stopReconcile = context.WithCancel(context.Background())
	if cfg.Demo() {
		a.Config.ApplyDemo(ln.Addr().String())
		if a.Config.Now.IsZero() && a.Config.Schedule == "" {
			// The built-in schedule is the 2024 campaign: a demo stands on a
			// working day inside it unless SONGNUAN_NOW says otherwise.
			a.Config.Now = DemoNow
		}
		a.Fake = fakeapi.New()
		a.Fake.SetCredentials(a.Config.WeCom.CorpID, a.Config.WeCom.Secret)
	}
	if err := a.Config.Validate(); err != nil {
		ln.Close()
		return nil, err
	}
	if err := a.open(ctx, opts); err != nil {
		ln.Close()
		a.closeStore()
		return nil, err
	}
	a.checkDurability(ctx)
	return a, nil
}

// Offline opens the store and the bot without serving or talking to
// WeCom, for the command-line import and export.
func Offline(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	if log == nil {
		log = slog.Default()
	}
	if cfg.Demo() {
		// The same demo staff and data key as a demo bot on this Redis.
		cfg.ApplyDemo(cfg.HTTPAddr)
	}
	a := &App{Config: cfg, Log: log}
	if err := a.openBot(ctx, prefixOf(cfg, ""), false); err != nil {
		a.closeStore()
		return nil, err
	}
	return a, nil
}

// openBot opens the store, the WeCom client (when online) and the bot.
func (a *App) openBot(ctx context.Context, prefix string, online bool) error {
	cfg := a.Config
	st, err := store.Open(ctx, store.Options{URL: cfg.RedisURL, Prefix: prefix, Logger: a.Log})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	a.Store = st
	if err := st.EnsureRollup(ctx); err != nil {
		return fmt.Errorf("street rollup: %w", err)
	}
	a.clock = cfg.Clock()
	if a.Schedule, err = LoadSchedule(cfg.Schedule); err != nil {
		return err
	}
	pol := policy.Default()
	if cfg.Policy != "" {
		data, err := os.ReadFile(cfg.Policy)
		if err != nil {
			return fmt.Errorf("read policy: %w", err)
		}
		if pol, err = policy.Parse(data, cfg.Policy); err != nil {
			return err
		}
	}
	if a.Sealer, err = bot.NewSealer(cfg.SealKey()); err != nil {
		return fmt.Errorf("data key: %w", err)
	}
	bc := bot.Config{
		Store: st, Policy: pol, Staff: cfg.Directory(), Clock: a.clock, Sealer: a.Sealer,
		ReadSheet: sheet.ReadRows, Logger: a.Log,
		Schedule: a.Schedule,
		Exporter: sheet.Exporter(st, a.Sealer, a.clock),
		Rescue:   domain.Message{ToUsers: cfg.Rescue.Users, ChatID: cfg.Rescue.ChatID, RobotKey: cfg.Rescue.RobotKey},
	}
	if a.listener != nil {
		bc.WorkbenchURL = workbenchURL(cfg, a.listener.Addr().String())
	}
	if online {
		// The token cache shares the store's one connection pool.
		a.WeCom, err = wecom.NewClient(wecom.ClientConfig{
			CorpID: cfg.WeCom.CorpID, Secret: cfg.WeCom.Secret, AgentID: cfg.WeCom.AgentID,
			APIBase: cfg.WeCom.APIBase, Timeout: 10 * time.Second,
			Cache: store.NewWeChatCache(st.Client(), prefix), Logger: a.Log,
		})
		if err != nil {
			return fmt.Errorf("wecom client: %w", err)
		}
		bc.Sender, bc.Media = a.WeCom, a.WeCom
	}
	a.Bot, err = bot.New(bc)
	return err
}

// LoadSchedule reads the campaign schedule file at path (SONGNUAN_SCHEDULE),
// or returns the built-in one when path is empty.
func LoadSchedule(path string) (*schedule.Schedule, error) {
	if path == "" {
		return schedule.Default(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read schedule: %w", err)
	}
	return schedule.Parse(data, path)
}

// open builds everything New serves.
func (a *App) open(ctx context.Context, opts Options) error {
	cfg := a.Config
	if err := a.openBot(ctx, prefixOf(cfg, opts.KeyPrefix), true); err != nil {
		return err
	}
	st := a.Store
	crypto, err := wecom.NewCrypto(cfg.WeCom.Token, cfg.WeCom.EncodingAESKey, cfg.WeCom.CorpID)
	if err != nil {
		return err
	}
	a.imports = make(chan struct{}, ImportSlots)
	a.pusher = handlers.NewPusher(handlers.PushOptions{Sender: a.WeCom, Outbox: st, Limiter: st.Limiter(nil),
		Sealer: a.Sealer, Workers: 4, Log: a.Log, Metrics: a.metrics})
	cb := &handlers.Callback{
		Bot: a.Bot, Crypto: crypto, CorpID: cfg.WeCom.CorpID, Dedup: st, Pusher: a.pusher,
		Metrics: a.metrics, Log: a.Log, MaxBody: cfg.MaxBodyBytes, DedupTTL: cfg.DedupTTL,
		Budget: 4 * time.Second, Now: time.Now, RateLimit: cfg.RateLimitPerMinute,
		Imports: a.imports,
	}
	// Every instance runs one; the ledger's lease lets only one send, and
	// the limiter counts on the real clock, as WeCom does.
	a.Broadcast = &broadcast.Runner{
		Schedule: a.Schedule, Sender: a.WeCom, Ledger: st.Ledger(), Limiter: st.Limiter(nil), Clock: a.clock,
		Recipients: broadcast.FromDirectory(cfg.Directory()), Counters: st.Counters, Admins: cfg.NotifyAdmins(),
		Logger: a.Log, Sweep: a.sweep,
	}
	engine := handlers.Engine(cb, st.Ping)
	if err := a.mountWorkbench(engine); err != nil {
		return err
	}
	if a.Fake != nil {
		engine.Any(config.FakeWeComPath+"/*any", gin.WrapH(http.StripPrefix(config.FakeWeComPath, a.Fake)))
	}
	a.server = &http.Server{Handler: engine, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: MaxHeaderBytes}
	return nil
}

// ReconcileEvery is how often the broadcast lease holder checks the
// person index against the households (store.ReconcilePersons) and puts
// right what a failed step left behind.
const ReconcileEvery = time.Hour

// sweep is what the broadcast lease holder does at the end of each tick:
// the 流浪 alerts that reached nobody, and, every ReconcileEvery, the
// person index check, in the background since a city takes a while.
func (a *App) sweep(ctx context.Context, now time.Time) (int, error) {
	if last := a.reconciled.Load(); time.Since(time.Unix(0, last)) >= ReconcileEvery &&
		a.reconciled.CompareAndSwap(last, time.Now().UnixNano()) {
		a.reconciling.Add(1)
		go func() {
			defer a.reconciling.Done()
			a.ReconcilePersons(a.reconcileCtx)
		}()
	}
	return a.Bot.SweepRescueAlerts(ctx, now)
}

// ReconcilePersons runs the person index check once and logs what it
// put right.
func (a *App) ReconcilePersons(ctx context.Context) {
	d, err := a.Store.ReconcilePersons(ctx)
	switch {
	case err != nil:
		a.Log.Warn("person index check failed; tried again next time", "err", err)
	case d.Added+d.Removed+len(d.Clashes) > 0:
		clashes := make([]string, len(d.Clashes))
		for i, c := range d.Clashes {
			clashes[i] = c.Committee + "/" + c.Code
		}
		a.Log.Warn("person index repaired", "added", d.Added, "removed", d.Removed, "registered_twice", clashes)
	}
}

// prefixOf is the key prefix: the test's override, else the config's,
// else KeyPrefix.
func prefixOf(cfg config.Config, override string) string {
	switch {
	case override != "":
		return override
	case cfg.KeyPrefix != "":
		return cfg.KeyPrefix
	}
	return KeyPrefix
}

// Addr is the address the App serves on.
func (a *App) Addr() string { return a.listener.Addr().String() }

// Run serves until ctx ends, then shuts down gracefully: in-flight
// requests finish, queued pushes are sent, the store is closed.
func (a *App) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(a.listener) }()
	a.startBroadcast(ctx)
	select {
	case err := <-errc:
		a.Close(context.Background())
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return a.Close(sctx)
}

// Close stops the server and releases everything; it is safe to call
// once Run has returned, or instead of Run.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	// The runner goes first: it sends through the fake API the server
	// mounts in demo mode, and releases its lease in the store.
	a.endBroadcast(ctx)
	if a.stopReconcile != nil {
		a.stopReconcile()
	}
	a.reconciling.Wait()
	if a.server != nil {
		if err := a.server.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	if a.pusher != nil {
		if err := a.pusher.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("drain pushes: %w", err))
		}
	}
	if err := a.closeStore(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// startBroadcast runs the broadcast runner until ctx ends or Close.
func (a *App) startBroadcast(ctx context.Context) {
	if a.Broadcast == nil || a.broadcastDone != nil {
		return
	}
	rctx, stop := context.WithCancel(ctx)
	a.stopBroadcast, a.broadcastDone = stop, make(chan struct{})
	go func() {
		defer close(a.broadcastDone)
		if err := a.Broadcast.Run(rctx); err != nil {
			a.Log.Error("broadcast runner stopped", "error", err)
		}
	}()
}

// endBroadcast stops the runner and waits for it, or for ctx.
func (a *App) endBroadcast(ctx context.Context) {
	if a.broadcastDone == nil {
		return
	}
	a.stopBroadcast()
	select {
	case <-a.broadcastDone:
	case <-ctx.Done():
		a.Log.Warn("broadcast runner did not stop in time")
	}
}

func (a *App) closeStore() error {
	if a.Store == nil {
		return nil
	}
	err := a.Store.Close()
	a.Store = nil
	return err
}

// Handler is the App's HTTP handler, for in-process benchmarks.
func (a *App) Handler() http.Handler { return a.server.Handler }
