package citygen

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"songnuan/bot"
	"songnuan/config"
	"songnuan/domain"
	"songnuan/internal/campaigntest"
	"songnuan/sheet"
	"songnuan/store"
	"songnuan/store/storetest"
)

func small(t *testing.T, seed uint64) *City {
	t.Helper()
	c, err := Generate(Options{Committees: 30, Households: 900, Leaders: 3, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := small(t, 7), small(t, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two cities from seed 7 differ")
	}
	if c := small(t, 8); reflect.DeepEqual(a.Households, c.Households) {
		t.Fatal("seeds 7 and 8 made the same households")
	}
	// More households leave the committees and staff as they were.
	big, err := Generate(Options{Committees: 30, Households: 1800, Leaders: 3, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Committees, big.Committees) || !reflect.DeepEqual(a.Staff, big.Staff) {
		t.Error("committees or staff changed with the number of households")
	}
}

func TestGenerateShape(t *testing.T) {
	c := small(t, 1)
	if got := len(c.Households); got != 900 {
		t.Fatalf("households = %d, want 900", got)
	}
	names := map[string]bool{}
	total := 0
	for i, name := range c.Committees {
		if names[name] {
			t.Errorf("committee %s twice", name)
		}
		names[name] = true
		hs := c.Of(i)
		if len(hs) == 0 {
			t.Errorf("committee %s has no households", name)
		}
		for _, h := range hs {
			if h.Committee != name {
				t.Fatalf("household of %s listed under %s", h.Committee, name)
			}
		}
		total += len(hs)
		if w := c.Worker(i); w.Committee != name || w.Role != domain.RoleWorker {
			t.Errorf("worker %d = %+v, want a worker of %s", i, w, name)
		}
	}
	if total != len(c.Households) {
		t.Errorf("committees hold %d households, want %d", total, len(c.Households))
	}
	if got := len(c.Leaders()); got != 3 {
		t.Errorf("leaders = %d, want 3", got)
	}
	ids := map[string]bool{}
	for _, h := range c.Households {
		id, err := bot.ValidateID(h.ID)
		if err != nil {
			t.Fatalf("%s: invalid ID: %v", h.Head, err)
		}
		if ids[id] {
			t.Fatalf("ID of %s generated twice", h.Head)
		}
		ids[id] = true
		if h.Phone != "" {
			if _, err := bot.ValidatePhone(h.Phone); err != nil {
				t.Fatalf("%s: invalid phone: %v", h.Head, err)
			}
		}
		if h.Size < 1 || h.Size > 5 {
			t.Errorf("%s: size %d", h.Head, h.Size)
		}
	}
}

func TestCheckDigit(t *testing.T) {
	// GB 11643's own example, which the bot's replies show.
	if got := CheckDigit("11010519491231002"); got != 'X' {
		t.Errorf("CheckDigit(11010519491231002) = %c, want X", got)
	}
	// For every generated body the bot accepts exactly the check
	// character CheckDigit gives.
	for _, h := range small(t, 6).Households[:200] {
		body := h.ID[:17]
		for _, ch := range []byte("0123456789X") {
			_, err := bot.ValidateID(body + string(ch))
			if ok := err == nil; ok != (ch == CheckDigit(body)) {
				t.Fatalf("check character %c of a generated ID: bot accepts it = %v, CheckDigit gives %c", ch, ok, CheckDigit(body))
			}
		}
	}
}

func TestMixFollowsTheDomain(t *testing.T) {
	c, err := Generate(Options{Committees: 100, Households: 20000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	cats, sizes := c.Mix()
	total := 0
	for _, p := range profiles {
		total += p.weight
	}
	for _, p := range profiles {
		want := float64(p.weight) / float64(total)
		got := float64(cats[p.category]) / float64(len(c.Households))
		if got < want*0.8-0.003 || got > want*1.2+0.003 {
			t.Errorf("%s: share %.3f, want about %.3f", p.category, got, want)
		}
	}
	if float64(cats["低保"]) < 0.4*float64(len(c.Households)) {
		t.Errorf("plain 低保 households are %d of %d, want most", cats["低保"], len(c.Households))
	}
	if sizes[1] <= sizes[3] || sizes[3] <= sizes[5] {
		t.Errorf("sizes %v: small households should be the commonest", sizes)
	}
}

// writeCity writes c under a temporary directory and returns it.
func writeCity(t *testing.T, c *City) string {
	t.Helper()
	dir := t.TempDir()
	if err := c.Write(dir, ConfigOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestConfigLoads(t *testing.T) {
	c := small(t, 1)
	dir := writeCity(t, c)
	cfg, err := config.Load(filepath.Join(dir, ConfigFile), nil)
	if err != nil {
		t.Fatalf("generated config does not load: %v", err)
	}
	if got, want := len(cfg.Staff), len(c.Staff); got != want {
		t.Errorf("config has %d staff, want %d", got, want)
	}
	if !reflect.DeepEqual(cfg.Directory(), directory(c)) {
		t.Error("config's staff differ from the city's")
	}
	if cfg.RateLimitPerMinute < 100000 {
		t.Errorf("rate_limit_per_minute = %d: a load test from few users would be refused", cfg.RateLimitPerMinute)
	}
	if !cfg.Demo() || cfg.Now.IsZero() {
		t.Errorf("want a demo-mode config with a campaign clock, got demo=%v now=%v", cfg.Demo(), cfg.Now)
	}
}

func directory(c *City) domain.Directory {
	d := domain.Directory{}
	for _, s := range c.Staff {
		d[s.UserID] = s
	}
	return d
}

func TestListsReadBack(t *testing.T) {
	c := small(t, 1)
	dir := writeCity(t, c)
	lists, err := ReadLists(filepath.Join(dir, ListDir))
	if err != nil {
		t.Fatal(err)
	}
	if len(lists) != len(c.Committees) {
		t.Fatalf("read %d lists, want %d", len(lists), len(c.Committees))
	}
	for i, l := range lists {
		if l.Name != c.ListName(i) {
			t.Errorf("list %d is %s, want %s", i, l.Name, c.ListName(i))
		}
		if !reflect.DeepEqual(l.Rows, c.Rows(i)) {
			t.Fatalf("%s reads back as\n%v\nwant\n%v", l.Name, l.Rows, c.Rows(i))
		}
	}
}

// testBot is a bot for the city on a test store; wrap, when not nil,
// wraps the store the bot sees.
func testBot(t *testing.T, c *City, wrap func(bot.Store) bot.Store) (*bot.Bot, *store.Store) {
	t.Helper()
	st := storetest.Open(t)
	var bs bot.Store = st
	if wrap != nil {
		bs = wrap(st)
	}
	sealer, err := bot.NewSealer([]byte("citygen-test-data-key-32-bytes!!"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 1, 15, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	b, err := bot.New(bot.Config{
		Store: bs, Policy: campaigntest.Policy(), Staff: directory(c),
		Clock: func() time.Time { return now }, Sealer: sealer, ReadSheet: sheet.ReadRows,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return b, st
}

func TestLoadImportsEveryRowOnce(t *testing.T) {
	c, err := Generate(Options{Committees: 10, Households: 300, Leaders: 1, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	lists, err := ReadLists(filepath.Join(writeCity(t, c), ListDir))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := testBot(t, c, nil)
	admin := c.Staff[len(c.Staff)-1]
	ctx := context.Background()

	res, err := Load(ctx, b, directory(c), admin, lists, 8)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != len(c.Households) || res.Refused != 0 || res.Rows != len(c.Households) {
		t.Fatalf("load: %s; want %d created and none refused", res, len(c.Households))
	}

	// The committees' counters add up to the city, and each committee's
	// to its own list.
	rep, err := b.Handle(ctx, bot.Incoming{MsgID: "todo-1", From: c.Worker(0).UserID, MsgType: "text", Text: "待办", At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(c.Of(0)); !strings.Contains(rep.Text, "待走访 "+strconv.Itoa(want)+"户") {
		t.Errorf("待办 of %s: %q, want %d households to visit", c.Committees[0], rep.Text, want)
	}

	// Loading the same files again creates nothing: every row is the
	// replay of its import op.
	again, err := Load(ctx, b, directory(c), admin, lists, 8)
	if err != nil {
		t.Fatal(err)
	}
	if again.Created != 0 || again.Refused != 0 || again.Updated+again.Unchanged != len(c.Households) {
		t.Fatalf("second load: %s; want every row unchanged", again)
	}
}

func TestVisitRecordsAShareOfEachCommittee(t *testing.T) {
	c, err := Generate(Options{Committees: 4, Households: 80, Leaders: 1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	b, st := testBot(t, c, nil)
	ctx := context.Background()
	var lists []List
	for i := range c.Committees {
		lists = append(lists, List{Name: c.ListName(i), Hash: "h" + strconv.Itoa(i), Rows: c.Rows(i)})
	}
	if _, err := Load(ctx, b, directory(c), c.Staff[len(c.Staff)-1], lists, 2); err != nil {
		t.Fatal(err)
	}
	res, err := Visit(ctx, b, st, directory(c), 0.5, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for i, name := range c.Committees {
		n := len(c.Of(i))
		half := (n + 1) / 2
		want += half
		ctr, err := st.Counters(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if ctr[domain.CtrVisited] != int64(half) || ctr[domain.CtrPaid] <= 0 {
			t.Errorf("%s: %d of %d visited (paid %d), want %d", name, ctr[domain.CtrVisited], n, ctr[domain.CtrPaid], half)
		}
		if _, left, err := st.Unvisited(ctx, name, 1); err != nil || left != n-half {
			t.Errorf("%s: %d left to visit (%v), want %d", name, left, err, n-half)
		}
	}
	if res.Visits != want || res.Recorded != want || res.FirstOther != "" {
		t.Errorf("visit: %s; want %d visits, all recorded", res, want)
	}
}

// failingStore fails every Apply after the first ok ones.
type failingStore struct {
	bot.Store
	ok      int
	applied atomic.Int64
}

func (f *failingStore) Apply(ctx context.Context, c bot.Change) (bot.Applied, error) {
	if f.applied.Add(1) > int64(f.ok) {
		return bot.Applied{}, bot.ErrUnavailable
	}
	return f.Store.Apply(ctx, c)
}

func TestLoadStopsAtAStoreFailure(t *testing.T) {
	c := small(t, 4)
	b, _ := testBot(t, c, func(s bot.Store) bot.Store { return &failingStore{Store: s, ok: 40} })
	lists := []List{
		{Name: c.ListName(0), Hash: "h0", Rows: c.Rows(0)},
		{Name: c.ListName(1), Hash: "h1", Rows: c.Rows(1)},
		{Name: c.ListName(2), Hash: "h2", Rows: c.Rows(2)},
	}
	res, err := Load(context.Background(), b, directory(c), c.Staff[len(c.Staff)-1], lists, 1)
	if !errors.Is(err, bot.ErrUnavailable) {
		t.Fatalf("load on a failing store: %v, want ErrUnavailable", err)
	}
	if res.Created > 40 {
		t.Errorf("created %d after the store failed at 40", res.Created)
	}
}

func TestKeyKind(t *testing.T) {
	for k, want := range map[string]string{
		"{c:天山一村}:hh":             "hh",
		"{c:天山一村}:op:imp:ab12:2":  "op",
		"{c:天山一村}:undo:sg00001":   "undo",
		"person:0a1b2c":           "person",
		"committees":              "committees",
		"{rescue}:reports":        "rescue:reports",
		"msg:7300000000000000001": "msg",
		"{c:a:b}:audit":           "audit",
		"{broken":                 "{broken",
		"lastundo:sg00001":        "lastundo",
	} {
		if got := keyKind(k); got != want {
			t.Errorf("keyKind(%q) = %q, want %q", k, got, want)
		}
	}
}

func TestTiming(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := timingOf(ds)
	want := Timing{N: 100, Mean: 50500 * time.Microsecond, P50: 50 * time.Millisecond, P90: 90 * time.Millisecond,
		P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Errorf("timingOf = %+v, want %+v", got, want)
	}
}

func TestMemoryByKind(t *testing.T) {
	c := small(t, 5)
	b, st := testBot(t, c, nil)
	ctx := context.Background()
	lists := []List{{Name: c.ListName(0), Hash: "h0", Rows: c.Rows(0)}, {Name: c.ListName(1), Hash: "h1", Rows: c.Rows(1)}}
	if _, err := Load(ctx, b, directory(c), c.Staff[len(c.Staff)-1], lists, 2); err != nil {
		t.Fatal(err)
	}
	kinds, err := MemoryByKind(ctx, st.Client(), st.Prefix())
	if err != nil {
		t.Fatal(err)
	}
	// Every key under the prefix is counted once, whatever the store's
	// layout, and the two committees' own keys come in pairs.
	all, err := st.Client().Keys(ctx, st.Prefix()+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	keys := 0
	for _, k := range kinds {
		keys += k.Keys
		if k.Keys == 0 || k.Bytes <= 0 {
			t.Errorf("kind %+v counted nothing", k)
		}
	}
	if keys != len(all) {
		t.Errorf("kinds %+v hold %d keys, want the %d under the prefix", kinds, keys, len(all))
	}
	committeeKeys := 0
	for _, k := range all {
		if strings.HasPrefix(k, st.Prefix()+"{c:") {
			committeeKeys++
		}
	}
	perKind := 0
	for _, k := range kinds {
		if k.Keys == 2 {
			perKind += 2
		}
	}
	if committeeKeys == 0 || perKind == 0 {
		t.Errorf("kinds %+v: want the committees' keys grouped by kind, two of each", kinds)
	}
	for i := 1; i < len(kinds); i++ {
		if kinds[i].Bytes > kinds[i-1].Bytes {
			t.Errorf("kinds not largest first: %+v", kinds)
		}
	}
}

func TestMainGenWritesTheCity(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "city")
	var out bytes.Buffer
	err := Main(context.Background(), []string{"--out", dir, "--committees", "12", "--households", "240", "--seed", "9"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "12 个居委，240 户") {
		t.Errorf("summary: %s", out.String())
	}
	ents, err := os.ReadDir(filepath.Join(dir, ListDir))
	if err != nil || len(ents) != 12 {
		t.Fatalf("lists: %d, %v; want 12", len(ents), err)
	}
	if err := Main(context.Background(), []string{"frobnicate"}, &out); err == nil {
		t.Error("an unknown subcommand succeeded")
	}
}

func TestParseMemory(t *testing.T) {
	info := "# Memory\r\nused_memory:19506552\r\nused_memory_human:18.60M\r\nused_memory_rss:32096256\r\n" +
		"used_memory_startup:876200\r\nmem_clients_normal:44000\r\nmem_aof_buffer:1000\r\n"
	got, err := parseMemory(info)
	if err != nil {
		t.Fatal(err)
	}
	want := MemoryInfo{Used: 19506552, Startup: 876200, Clients: 44000, AOFBuffer: 1000, RSS: 32096256}
	if got != want {
		t.Errorf("parseMemory = %+v, want %+v", got, want)
	}
	if got.Data() != 19506552-876200-44000-1000 {
		t.Errorf("Data = %d", got.Data())
	}
	if _, err := parseMemory("# Memory\r\nused_memory:x\r\n"); err == nil {
		t.Error("a bad number parsed")
	}
	if _, err := parseMemory("# Clients\r\n"); err == nil {
		t.Error("INFO without used_memory parsed")
	}
}
