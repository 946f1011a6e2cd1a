package citygen

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"songnuan/app"
	"songnuan/config"
	"songnuan/domain"
	"songnuan/redact"
)

const usage = `用法：
  songnuan gen [--out city] [--committees 6000] [--households 300000] [--leaders 20] [--seed 1] [--rate-limit 1000000]
      生成城市：DIR/city.yaml（人员配置）和 DIR/households/ 下每个居委一份 .csv 名单
  songnuan gen load [--dir city] [--parallel 8] [--allow-nonempty]
      把名单经机器人的导入流程并发写入 REDIS_URL 的 Redis，报告 行/秒 和 Redis 内存
  songnuan gen visit [--dir city] [--share 0.7] [--parallel 8]
      每个居委由社工走访一部分还没走访的户（按应发金额发放），把城市带到活动中途
  songnuan gen time --as 用户ID --text 进度 [--dir city] [--n 200] [--warmup 10] [--cpuprofile 文件]
      直接调用机器人 n 次（不经 HTTP），报告延迟 p50/p90/p99
  songnuan gen memory [--dir city]
      按键的种类统计 Redis 内存（MEMORY USAGE）和每户字节数
  songnuan gen serve --cpuprofile 文件 [--dir city]
      和 songnuan 一样启动机器人，收到 SIGTERM 退出时写下整段运行的 CPU profile
load、time、memory 的配置取自 SONGNUAN_CONFIG，未设时用 DIR/city.yaml；Redis 取自 REDIS_URL。
`

// Main runs `songnuan gen …` and reports to stdout.
func Main(ctx context.Context, args []string, stdout io.Writer) error {
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	var err error
	switch sub {
	case "":
		err = genMain(args, stdout)
	case "load":
		err = loadMain(ctx, args, stdout)
	case "visit":
		err = visitMain(ctx, args, stdout)
	case "time":
		err = timeMain(ctx, args, stdout)
	case "memory":
		err = memoryMain(ctx, args, stdout)
	case "serve":
		err = serveMain(ctx, args, stdout)
	case "help":
		fmt.Fprint(stdout, usage)
	default:
		return fmt.Errorf("未知的 gen 子命令 %q\n%s", sub, usage)
	}
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func newFlags(name string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { fmt.Fprint(stdout, usage) }
	return fs
}

// genMain is `songnuan gen`.
func genMain(args []string, stdout io.Writer) error {
	fs := newFlags("songnuan gen", stdout)
	out := fs.String("out", "city", "输出目录")
	var opt Options
	fs.IntVar(&opt.Committees, "committees", 6000, "居委数")
	fs.IntVar(&opt.Households, "households", 300000, "户数（分给各居委，多少不一）")
	fs.IntVar(&opt.Leaders, "leaders", 20, "领导人数")
	fs.Uint64Var(&opt.Seed, "seed", 1, "随机种子：同一种子生成同一座城市")
	var co ConfigOptions
	fs.IntVar(&co.RateLimit, "rate-limit", 1000000, "配置里的 rate_limit_per_minute（压测时一个用户每分钟发很多条）")
	fs.StringVar(&co.LogLevel, "log-level", "info", "配置里的 log_level")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("多余的参数 %q，例如：songnuan gen --out city --committees 6000 --households 300000", fs.Args())
	}
	start := time.Now()
	c, err := Generate(opt)
	if err != nil {
		return err
	}
	if err := c.Write(*out, co); err != nil {
		return err
	}
	fmt.Fprint(stdout, c.Summary())
	fmt.Fprintf(stdout, "已写入 %s 和 %s/（%d 份名单），用时 %.1f 秒\n",
		filepath.Join(*out, ConfigFile), filepath.Join(*out, ListDir), len(c.Committees), time.Since(start).Seconds())
	return nil
}

// openCity loads the bot's config (SONGNUAN_CONFIG, else dir/city.yaml)
// and opens the store and the bot on REDIS_URL.
func openCity(ctx context.Context, dir string) (*app.App, error) {
	path := os.Getenv("SONGNUAN_CONFIG")
	if path == "" {
		path = filepath.Join(dir, ConfigFile)
	}
	cfg, err := config.Load(path, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	if cfg.RedisURL == "" {
		return nil, errors.New("需要一个 Redis：请设置 REDIS_URL，最好是单独启动的空 Redis，例如 redis-server --port 6390 --save '' 后 REDIS_URL=redis://127.0.0.1:6390/0")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return app.Offline(ctx, cfg, log)
}

// firstAdmin is the config's first admin, who imports lists whose
// committee has no worker.
func firstAdmin(a *app.App) (domain.Staff, error) {
	for _, s := range a.Config.Staff {
		if s.Role == domain.RoleAdmin {
			return s, nil
		}
	}
	return domain.Staff{}, errors.New("配置里没有管理员")
}

// loadMain is `songnuan gen load`.
func loadMain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("songnuan gen load", stdout)
	dir := fs.String("dir", "city", "songnuan gen 的输出目录")
	parallel := fs.Int("parallel", 8, "同时导入的名单数（每份名单机器人自己再 8 行并发）")
	nonEmpty := fs.Bool("allow-nonempty", false, "Redis 里已有数据也导入（内存数字就不准了）")
	profile := fs.String("cpuprofile", "", "把导入部分的 CPU profile 写到这个文件")
	if err := fs.Parse(args); err != nil {
		return err
	}
	lists, err := ReadLists(filepath.Join(*dir, ListDir))
	if err != nil {
		return err
	}
	a, err := openCity(ctx, *dir)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	admin, err := firstAdmin(a)
	if err != nil {
		return err
	}
	rc := a.Store.Client()
	keys, err := rc.DBSize(ctx).Result()
	if err != nil {
		return fmt.Errorf("读 Redis：%w", err)
	}
	if keys > 0 && !*nonEmpty {
		return fmt.Errorf("这个 Redis 里已有 %d 个键：请用单独启动的空 Redis 测量（例如 redis-server --port 6390 --save ''），"+
			"或加 --allow-nonempty（内存数字会混进已有的数据）", keys)
	}
	before, err := ReadMemory(ctx, rc)
	if err != nil {
		return fmt.Errorf("读 Redis 内存：%w", err)
	}
	stopProfile, err := startProfile(*profile)
	if err != nil {
		return err
	}
	res, err := Load(ctx, a.Bot, a.Config.Directory(), admin, lists, *parallel)
	stopProfile()
	fmt.Fprintln(stdout, res)
	if err != nil {
		return err
	}
	after, err := ReadMemory(ctx, rc)
	if err != nil {
		return fmt.Errorf("读 Redis 内存：%w", err)
	}
	if n := res.Created; n > 0 {
		fmt.Fprintf(stdout, "Redis used_memory：导入前 %d，导入后 %d（其中连接缓冲 %d、AOF 缓冲 %d），数据增加 %d 字节，每户 %.0f 字节\n",
			before.Used, after.Used, after.Clients, after.AOFBuffer, after.Data()-before.Data(), float64(after.Data()-before.Data())/float64(n))
	}
	if res.Refused > 0 {
		return fmt.Errorf("有 %d 行没有导入", res.Refused)
	}
	return nil
}

// visitMain is `songnuan gen visit`.
func visitMain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("songnuan gen visit", stdout)
	dir := fs.String("dir", "city", "songnuan gen 的输出目录（取 city.yaml）")
	share := fs.Float64("share", 0.7, "每个居委走访还没走访的户的比例（0 到 1）")
	parallel := fs.Int("parallel", 8, "同时走访的居委数")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *share <= 0 || *share > 1 {
		return fmt.Errorf("--share 应在 0 到 1 之间，例如 --share 0.7（收到 %g）", *share)
	}
	a, err := openCity(ctx, *dir)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	res, err := Visit(ctx, a.Bot, a.Store, a.Config.Directory(), *share, *parallel)
	fmt.Fprintln(stdout, res)
	return err
}

// timeMain is `songnuan gen time`.
func timeMain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("songnuan gen time", stdout)
	dir := fs.String("dir", "city", "songnuan gen 的输出目录（取 city.yaml）")
	as := fs.String("as", "ld001", "发消息的用户ID")
	text := fs.String("text", "进度", "消息内容")
	n := fs.Int("n", 200, "计时调用次数")
	warmup := fs.Int("warmup", 10, "计时前不计时的调用次数")
	profile := fs.String("cpuprofile", "", "把计时部分的 CPU profile 写到这个文件")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n <= 0 {
		return errors.New("--n 应为正数，例如 --n 200")
	}
	a, err := openCity(ctx, *dir)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	if _, ok := a.Config.Directory().Lookup(*as); !ok {
		return fmt.Errorf("用户 %q 不在配置的 staff 名单里，例如 --as ld001", *as)
	}
	// Warm up outside the profile, then time with it on.
	if _, _, err := TimeHandle(ctx, a.Bot, *as, *text, 0, *warmup); err != nil {
		return err
	}
	stopProfile, err := startProfile(*profile)
	if err != nil {
		return err
	}
	t, rep, err := TimeHandle(ctx, a.Bot, *as, *text, *n, 0)
	stopProfile()
	if err != nil {
		return err
	}
	body := rep.Text
	if body == "" {
		body = rep.Markdown
	}
	first, _, _ := strings.Cut(redact.Text(body), "\n")
	fmt.Fprintf(stdout, "%s（%s）：%s；回复 %d 字节，首行：%s\n", *text, *as, t, len(body), first)
	return nil
}

// memoryMain is `songnuan gen memory`.
func memoryMain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("songnuan gen memory", stdout)
	dir := fs.String("dir", "city", "songnuan gen 的输出目录（取 city.yaml）")
	byKind := fs.Bool("by-kind", true, "逐个键 MEMORY USAGE，按键的种类分列（60 万个键要几秒钟）")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openCity(ctx, *dir)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	rc := a.Store.Client()
	all, err := a.Store.AllCounters(ctx)
	if err != nil {
		return err
	}
	var households int64
	for _, c := range all {
		households += c[domain.CtrHouseholds]
	}
	m, err := ReadMemory(ctx, rc)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d 个居委，%d 户；Redis used_memory %d 字节（空库 %d，连接缓冲 %d，AOF 缓冲 %d，RSS %d）；数据 %d 字节，每户 %.0f 字节\n",
		len(all), households, m.Used, m.Startup, m.Clients, m.AOFBuffer, m.RSS, m.Data(), perHousehold(m.Data(), households))
	if !*byKind {
		return nil
	}
	kinds, err := MemoryByKind(ctx, rc, a.Store.Prefix())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-14s %9s %13s %9s\n", "键", "个数", "MEMORY USAGE", "每户")
	var sum int64
	for _, k := range kinds {
		sum += k.Bytes
		fmt.Fprintf(stdout, "%-14s %9d %13d %9.0f\n", k.Kind, k.Keys, k.Bytes, perHousehold(k.Bytes, households))
	}
	fmt.Fprintf(stdout, "%-14s %9s %13d %9.0f\n", "合计", "", sum, perHousehold(sum, households))
	return nil
}

func perHousehold(bytes, households int64) float64 {
	if households == 0 {
		return 0
	}
	return float64(bytes) / float64(households)
}

// serveMain is `songnuan gen serve`: the bot as `songnuan` serves it
// (same config, same buffered JSON log on stdout), with a CPU profile of
// the whole run, so a load test shows where the bot's time goes.
func serveMain(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("songnuan gen serve", stdout)
	dir := fs.String("dir", "city", "songnuan gen 的输出目录（取 city.yaml）")
	profile := fs.String("cpuprofile", "", "CPU profile 写到这个文件")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *profile == "" {
		return errors.New("请用 --cpuprofile 文件 指定 profile 写到哪里；不需要 profile 时直接运行 songnuan")
	}
	path := os.Getenv("SONGNUAN_CONFIG")
	if path == "" {
		path = filepath.Join(*dir, ConfigFile)
	}
	cfg, err := config.Load(path, os.LookupEnv)
	if err != nil {
		return err
	}
	lw := app.NewLogWriter(stdout, 200*time.Millisecond)
	defer lw.Close()
	log := slog.New(slog.NewJSONHandler(lw, &slog.HandlerOptions{Level: cfg.SlogLevel()}))
	app.TuneGC()
	a, err := app.New(ctx, cfg, app.Options{Logger: log})
	if err != nil {
		return err
	}
	stopProfile, err := startProfile(*profile)
	if err != nil {
		a.Close(context.Background())
		return err
	}
	defer stopProfile()
	return a.Run(ctx)
}

// startProfile starts a CPU profile into path ("" for none) and returns
// what stops it.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
