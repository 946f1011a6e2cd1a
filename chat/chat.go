// Package chat is a terminal stand-in for the WeCom app: `songnuan chat
// --as wang` lets a developer or a trainer talk to a running bot as any
// staff member, with no WeCom account. Each typed line becomes the
// encrypted callback WeCom would POST; the passive reply is decrypted and
// printed, and, against a bot in demo mode, whatever the bot pushes
// (markdown, long texts, files, broadcasts, reminders) is printed too.
//
// Client, the WeCom side of the conversation, is shared with the load
// tool.
package chat

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/peterh/liner"

	"songnuan/redact"
	"songnuan/wecom"
)

// Options configure a chat session.
type Options struct {
	URL         string // the bot's base URL, e.g. http://127.0.0.1:8080
	UserID      string // who the messages come from (a staff userid)
	Credentials Credentials

	In  io.Reader // typed lines
	Out io.Writer // replies, pushes and notices
	// Terminal turns on line editing and history (github.com/peterh/liner).
	// In is then ignored: liner reads the terminal itself.
	Terminal bool

	// PollInterval is how often pushed messages are fetched; 0 means 1 s.
	PollInterval time.Duration
	// Linger is how long pushed messages are still shown after the input
	// ends, so a piped script sees the pushes its last lines caused.
	Linger time.Duration
	// FileDir is where pushed files are saved; empty means a new
	// temporary directory.
	FileDir string
	// HTTPClient is used for every request; nil means one with a 30 s
	// timeout.
	HTTPClient *http.Client
}

// maxUpload caps what /file reads, as WeCom caps temporary media.
const maxUpload = 20 << 20

// Main parses `songnuan chat` flags and runs a session on stdin and
// stdout, with the credentials from the environment (or the demo ones).
// Ctrl-C ends it like /quit.
func Main(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("songnuan chat", flag.ContinueOnError)
	fs.SetOutput(stdout)
	as := fs.String("as", "", "以哪个企业微信 userid 的身份发消息，例如 --as wang（必填）")
	url := fs.String("url", "http://127.0.0.1:8080", "机器人的地址")
	linger := fs.Duration("wait", -1, "输入结束后继续显示推送消息多久（管道输入默认 2s，终端默认 0）")
	fs.Usage = func() {
		fmt.Fprintln(stdout, "用法：songnuan chat --as wang [--url http://127.0.0.1:8080]")
		fmt.Fprintln(stdout, "凭据取自 WECOM_CORP_ID、WECOM_TOKEN、WECOM_ENCODING_AES_KEY、WECOM_AGENT_ID；都不设时用演示凭据。")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // -h printed the usage; that is not a failure
		}
		return err
	}
	if strings.TrimSpace(*as) == "" {
		fs.Usage()
		return errors.New("请用 --as 指定以谁的身份聊天，例如：songnuan chat --as wang")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("多余的参数 %q；要发的消息请在启动后输入，例如：songnuan chat --as wang", fs.Args())
	}
	creds, err := CredentialsFromEnv(os.LookupEnv)
	if err != nil {
		return err
	}
	term := isTerminal(stdin)
	wait := *linger
	if wait < 0 {
		wait = 2 * time.Second
		if term {
			wait = 0
		}
	}
	// Ctrl-C on piped input ends the session (a terminal's Ctrl-C is read
	// by liner as a key and ends it too), even when the program has
	// already taken over the signal.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, Options{
		URL: *url, UserID: strings.TrimSpace(*as), Credentials: creds,
		In: stdin, Out: stdout, Terminal: term, Linger: wait,
	})
}

// isTerminal reports whether r is an interactive terminal, without a
// dependency beyond the standard library.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// session is one running chat.
type session struct {
	opt    Options
	client *Client
	out    *syncWriter
	// retry is the last message the bot did not take, kept for /resend
	// with its MsgId: WeCom re-delivers the same message, not a new one.
	retry *wecom.Message
	// noPush is set once the bot turns out to have no fake API.
	noPush atomic.Bool

	fileDir     string
	fileDirOnce sync.Once
	fileDirErr  error
}

// Run chats until the input ends, /quit, or ctx is done.
func Run(ctx context.Context, opt Options) error {
	if strings.TrimSpace(opt.UserID) == "" {
		return errors.New("chat: no user id: set Options.UserID (songnuan chat --as wang)")
	}
	if opt.Out == nil {
		opt.Out = io.Discard
	}
	if opt.PollInterval <= 0 {
		opt.PollInterval = time.Second
	}
	c, err := NewClient(opt.URL, opt.Credentials, opt.HTTPClient)
	if err != nil {
		return err
	}
	s := &session{opt: opt, client: c, out: &syncWriter{w: opt.Out}, fileDir: opt.FileDir}
	mode := "企业微信凭据取自环境变量"
	if opt.Credentials.Demo {
		mode = "演示凭据"
	}
	s.out.printf("正在以 %s 的身份和机器人聊天：%s（%s）\n输入 /help 查看命令，/quit 或 Ctrl-D 退出。\n", opt.UserID, c.URL(), mode)

	// The first poll runs before any input is sent, so a push answering
	// the first line is never mistaken for an old one.
	p := &poller{s: s}
	p.start(ctx)
	pctx, stopPoll := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.run(pctx)
	}()

	err = s.loop(ctx)

	if opt.Linger > 0 && ctx.Err() == nil {
		select {
		case <-time.After(opt.Linger):
		case <-ctx.Done():
		}
	}
	stopPoll()
	<-done
	if ctx.Err() == nil {
		p.poll(context.WithoutCancel(ctx)) // whatever arrived since the last tick
	}
	s.out.printf("再见！\n")
	return err
}

// loop reads and handles lines until the input ends or /quit.
func (s *session) loop(ctx context.Context) error {
	in := s.newInput()
	defer in.close()
	for {
		var (
			line string
			ok   bool
		)
		select {
		case <-ctx.Done():
			return nil
		case line, ok = <-in.lines:
		}
		if !ok {
			return nil
		}
		quit := s.handle(ctx, line)
		if quit {
			return nil
		}
		in.ready()
	}
}

// input delivers typed lines on a channel, so the loop can also watch
// ctx: liner on a terminal, a plain scanner otherwise.
type input struct {
	lines chan string
	next  chan struct{} // the previous line is handled: prompt again
	quit  chan struct{}
	done  chan struct{}
	ln    *liner.State
}

func (s *session) newInput() *input {
	in := &input{lines: make(chan string), next: make(chan struct{}), quit: make(chan struct{}), done: make(chan struct{})}
	if !s.opt.Terminal {
		go func() {
			defer close(in.done)
			defer close(in.lines)
			sc := bufio.NewScanner(s.opt.In)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				if !in.send(sc.Text()) {
					return
				}
			}
		}()
		return in
	}
	in.ln = liner.NewLiner()
	in.ln.SetCtrlCAborts(true)
	prompt := s.opt.UserID + "> "
	go func() {
		defer close(in.done)
		defer close(in.lines)
		for {
			line, err := in.ln.Prompt(prompt)
			if err != nil { // io.EOF (Ctrl-D) or liner.ErrPromptAborted (Ctrl-C)
				return
			}
			if strings.TrimSpace(line) != "" && redact.Text(line) == line {
				// Lines holding an ID or phone number stay out of history.
				in.ln.AppendHistory(line)
			}
			if !in.send(line) {
				return
			}
			// Prompt again only once the reply is printed, so the prompt
			// never lands in the middle of it.
			select {
			case <-in.next:
			case <-in.quit:
				return
			}
		}
	}()
	return in
}

func (in *input) send(line string) bool {
	select {
	case in.lines <- line:
		return true
	case <-in.quit:
		return false
	}
}

// ready lets a terminal prompt for the next line.
func (in *input) ready() {
	if in.ln == nil {
		return
	}
	select {
	case in.next <- struct{}{}:
	case <-in.quit:
	case <-in.done:
	}
}

// close stops reading. A terminal must get its mode back even when the
// reader is stuck in a prompt (the session was cancelled).
func (in *input) close() {
	close(in.quit)
	if in.ln == nil {
		return
	}
	select {
	case <-in.done:
	case <-time.After(100 * time.Millisecond):
	}
	_ = in.ln.Close()
}

// handle runs one input line and reports whether the session ends.
func (s *session) handle(ctx context.Context, raw string) (quit bool) {
	line := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
	if line == "" {
		return false
	}
	if !s.opt.Terminal {
		// Piped input is not echoed by a terminal: show it, so a
		// transcript reads as a conversation, masked like every other
		// line the project prints (the bot still gets it exactly).
		s.out.printf("%s> %s\n", s.opt.UserID, redact.Text(line))
	}
	cmd, arg, _ := strings.Cut(line, " ")
	switch strings.ToLower(cmd) {
	case "/quit", "/exit", "/q", "/退出":
		return true
	case "/help", "/h", "/?", "/帮助":
		s.out.printf("%s", helpText)
	case "/file", "/文件":
		s.sendFile(ctx, strings.TrimSpace(arg))
	case "/resend", "/重发":
		if s.retry == nil {
			s.out.printf("没有需要重发的消息。\n")
			return false
		}
		m := *s.retry
		s.deliver(ctx, m)
	default:
		if isSlashCommand(cmd) {
			s.out.printf("没有 %s 这个命令，输入 /help 查看。要把这行原样发给机器人，请去掉开头的 /。\n", cmd)
			return false
		}
		s.deliver(ctx, s.client.Text(s.opt.UserID, line))
	}
	return false
}

// isSlashCommand tells a mistyped client command (/hlep) from a message
// that merely starts with a slash and a space or digits.
func isSlashCommand(cmd string) bool {
	if len(cmd) < 2 || cmd[0] != '/' {
		return false
	}
	for _, r := range cmd[1:] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

const helpText = `可用命令：
  直接输入文字     发给机器人，例如：登记 张三 低保 3人
  /file 路径       发送文件（导入名单），例如：/file 名单.xlsx
  /resend          重发上一条没被接收的消息（同一个 MsgId，和企业微信重试一样）
  /help            显示本帮助
  /quit            退出（也可按 Ctrl-D）
`

// deliver sends m and prints what came back.
func (s *session) deliver(ctx context.Context, m wecom.Message) {
	a, err := s.client.Deliver(ctx, m)
	switch {
	case errors.Is(err, ErrReply):
		s.retry = nil
		s.out.printf("收到的回复解不开：本机的企业微信凭据和机器人的不一致？请检查 WECOM_TOKEN、WECOM_ENCODING_AES_KEY、WECOM_CORP_ID。\n")
		return
	case err != nil:
		s.retry = &m
		s.out.printf("连不上机器人 %s：%v\n机器人在运行吗？启动后输入 /resend 重发这条。\n", s.client.URL(), rootCause(err))
		return
	}
	if a.Status == http.StatusOK {
		s.retry = nil
		if a.Reply == "" {
			if s.noPush.Load() {
				s.out.printf("（已送达，没有直接回复；推送的消息请在企业微信里查看）\n")
			} else {
				s.out.printf("（已送达，没有直接回复；如有推送消息会显示在下面）\n")
			}
			return
		}
		s.out.printf("机器人：%s\n", indent(a.Reply))
		return
	}
	s.retry = &m
	s.out.printf("%s\n", statusText(a))
}

// statusText explains a non-200 answer in plain words: what happened,
// whether anything was recorded, what to do.
func statusText(a Answer) string {
	switch a.Status {
	case http.StatusServiceUnavailable:
		return "机器人暂时存不下这条消息（HTTP 503），什么也没记录。企业微信会自动重发；这里请输入 /resend 重发。"
	case http.StatusUnauthorized:
		return "机器人拒绝了签名（HTTP 401）：本机的 WECOM_TOKEN 或 WECOM_ENCODING_AES_KEY 和机器人的不一致。"
	case http.StatusForbidden:
		return "机器人拒收（HTTP 403）：WECOM_CORP_ID 和机器人的不一致，或本机时钟偏差太大。"
	case http.StatusBadRequest:
		return "机器人读不懂这个请求（HTTP 400）：凭据或地址不对？"
	case http.StatusNotFound:
		return "这个地址上没有机器人的回调（HTTP 404）：请检查 --url，例如 --url http://127.0.0.1:8080"
	case http.StatusRequestEntityTooLarge:
		return "消息太长（HTTP 413），机器人没收，请分几条发。"
	case http.StatusTooManyRequests:
		return "发得太快了（HTTP 429），请稍等一会儿再用 /resend 重发。"
	}
	detail := strings.TrimSpace(wecom.CutUTF8(string(a.Body), 200))
	if detail != "" {
		detail = "：" + redact.Text(firstLine(detail))
	}
	return fmt.Sprintf("机器人回答了 HTTP %d%s。这条可能没有记录，输入 /resend 重发。", a.Status, detail)
}

// sendFile uploads a file to the fake WeCom API and sends it as a file
// message, as a worker sending a household list in WeCom does.
func (s *session) sendFile(ctx context.Context, path string) {
	if path == "" {
		s.out.printf("请给出文件路径，例如：/file 名单.xlsx\n")
		return
	}
	if strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, path[2:])
		}
	}
	data, err := readFileCapped(path, maxUpload)
	if err != nil {
		s.out.printf("读不了文件：%v。例如：/file ./名单.xlsx\n", err)
		return
	}
	id, err := s.client.Upload(ctx, filepath.Base(path), data)
	switch {
	case errors.Is(err, ErrNoFakeAPI):
		s.out.printf("这个机器人不在演示模式，没有假的企业微信接口可上传：请在企业微信里直接把文件发给应用。\n")
		return
	case err != nil:
		s.out.printf("上传文件失败：%v\n", rootCause(err))
		return
	}
	s.out.printf("已上传 %s（%d 字节），发送中…\n", filepath.Base(path), len(data))
	s.deliver(ctx, s.client.File(s.opt.UserID, id, filepath.Base(path)))
}

func readFileCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("文件超过 %d MB", limit>>20)
	}
	return data, nil
}

// saveFile writes a pushed file under the session's directory and
// returns its path.
func (s *session) saveFile(name string, data []byte) (string, error) {
	s.fileDirOnce.Do(func() {
		if s.fileDir == "" {
			s.fileDir, s.fileDirErr = os.MkdirTemp("", "songnuan-chat-")
		}
	})
	if s.fileDirErr != nil {
		return "", s.fileDirErr
	}
	name = filepath.Base(filepath.Clean("/" + name)) // never outside the directory
	if name == "/" || name == "." {
		name = "file"
	}
	path := filepath.Join(s.fileDir, name)
	for i := 2; ; i++ {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			break
		}
		ext := filepath.Ext(name)
		path = filepath.Join(s.fileDir, fmt.Sprintf("%s(%d)%s", strings.TrimSuffix(name, ext), i, ext))
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", err
	}
	return path, nil
}

// indent lines up a multi-line reply under its label.
func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if !strings.Contains(s, "\n") {
		return s
	}
	return "\n  " + strings.ReplaceAll(s, "\n", "\n  ")
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// rootCause drops the wrapping that repeats the URL, for a short line.
func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// syncWriter serialises output from the input loop and the poller.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *syncWriter) printf(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fmt.Fprintf(w.w, format, args...)
}
