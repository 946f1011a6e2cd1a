package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"songnuan/domain"
	"songnuan/policy"
	"songnuan/schedule"
	"songnuan/understand"
)

// Config is what a Bot is built from. Store, Policy, Clock and Sealer are
// required; Sender, Media and ReadSheet only for pushes and file imports.
type Config struct {
	Store     Store
	Policy    *policy.Policy
	Staff     domain.Directory
	Clock     domain.Clock
	Sealer    *Sealer
	Sender    domain.Sender
	Media     MediaFetcher
	ReadSheet SheetReader
	Logger    *slog.Logger

	// Schedule is the campaign timeline behind 日程, 待办 and 进度;
	// schedule.Default() when nil.
	Schedule *schedule.Schedule
	// Exporter builds the statistics table for 导出; full puts whole ID
	// and phone numbers in it. bot cannot build it itself, since the
	// table writer depends on bot. Nil turns 导出 off.
	Exporter func(ctx context.Context, full bool) (*domain.File, error)
	// Rescue holds only the targets of 流浪 alerts (ToUsers, ChatID,
	// RobotKey, any mix); with none the admins are told instead.
	Rescue domain.Message
	// WorkbenchURL is the public root of the workbench pages
	// (https://host); 进度 and 待办 answers link to them when it is set.
	WorkbenchURL string
}

// Bot answers the chat: it routes each normalised message to a command,
// checks the sender's role and committee, and records changes through the
// Store so that a re-delivered message never applies twice.
type Bot struct {
	store     Store
	policy    *policy.Policy
	staff     domain.Directory
	clock     domain.Clock
	sealer    *Sealer
	sender    domain.Sender
	media     MediaFetcher
	readSheet SheetReader
	log       *slog.Logger
	schedule  *schedule.Schedule
	exporter  func(ctx context.Context, full bool) (*domain.File, error)
	rescue    domain.Message
	workbench string

	words      []string // policy category words, longest first
	keep       []string // the words with a Chinese numeral, which Normalize must keep
	committees []string // committees that have staff, sorted
	routes     []route
	helpText   map[domain.Role]string // 帮助 for each role, built once
	interp     *understand.Interpreter
}

// campaignZone is Shanghai time; dates in chat ("今天", "1月15日") are local
// dates there whatever zone the server runs in.
var campaignZone = time.FixedZone("CST", 8*3600)

// New checks cfg and builds a Bot.
func New(cfg Config) (*Bot, error) {
	var missing []string
	if cfg.Store == nil {
		missing = append(missing, "Store")
	}
	if cfg.Policy == nil {
		missing = append(missing, "Policy")
	}
	if cfg.Clock == nil {
		missing = append(missing, "Clock")
	}
	if cfg.Sealer == nil {
		missing = append(missing, "Sealer")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("bot config: missing %v", missing)
	}
	b := &Bot{
		store:     cfg.Store,
		policy:    cfg.Policy,
		staff:     cfg.Staff,
		clock:     cfg.Clock,
		sealer:    cfg.Sealer,
		sender:    cfg.Sender,
		media:     cfg.Media,
		readSheet: cfg.ReadSheet,
		log:       cfg.Logger,
		schedule:  cfg.Schedule,
		exporter:  cfg.Exporter,
		rescue:    cfg.Rescue,
		workbench: strings.TrimRight(cfg.WorkbenchURL, "/"),
	}
	if b.schedule == nil {
		b.schedule = schedule.Default()
	}
	if b.staff == nil {
		b.staff = domain.Directory{}
	}
	if b.log == nil {
		b.log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	b.log = b.log.With("component", "bot")
	b.words = cfg.Policy.Words()
	for _, w := range b.words {
		if strings.ContainsFunc(w, isCNNumeral) {
			b.keep = append(b.keep, w)
		}
	}
	seen := map[string]bool{}
	for _, s := range b.staff {
		if s.Committee != "" && !seen[s.Committee] {
			seen[s.Committee] = true
			b.committees = append(b.committees, s.Committee)
		}
	}
	sort.Strings(b.committees)
	b.routes = b.commands()
	b.interp = newReader(b.committees, cfg.Policy)
	b.helpText = map[domain.Role]string{}
	for _, role := range []domain.Role{domain.RoleWorker, domain.RoleLeader, domain.RoleAdmin} {
		b.helpText[role] = b.helpFor(role)
	}
	return b, nil
}

// now is the campaign time in Shanghai.
func (b *Bot) now() time.Time { return b.clock().In(campaignZone) }

// normalize is Normalize that keeps the policy's category names intact.
func (b *Bot) normalize(s string) string { return NormalizeWith(s, b.keep) }

// msg is one message in flight: who sent it and what the route matched.
type msg struct {
	in        Incoming
	staff     domain.Staff
	args      []string // the route's submatches
	confirmed bool     // the sender confirmed it: run as typed, ask nothing
	proposed  bool     // answering it left a change pending confirmation
}

// opID is the idempotency key of the change a message makes.
func (m *msg) opID() string { return MessageOpID(m.in.MsgID) }

// MessageOpID is the key a message with this MsgId is known by: the
// callback's claim on it and the op id of the change it makes, so that a
// re-delivery and work done later on its behalf (the 流浪 sweep) are
// recognised as the same message.
func MessageOpID(msgID string) string { return "m:" + msgID }

// Handle answers one message. A user's mistake is answered in the Reply;
// an error means the system failed and nothing the reply would claim was
// recorded (errors.Is(err, ErrUnavailable) when the store is down), so the
// caller should let WeCom deliver the message again.
func (b *Bot) Handle(ctx context.Context, in Incoming) (Reply, error) {
	in, _ = clickAsText(in)
	st, ok := b.staff.Lookup(in.From)
	if !ok {
		if in.MsgType == "event" && in.Event != "subscribe" && in.Event != "enter_agent" {
			return Reply{}, nil
		}
		return Reply{Text: msgUnregistered}, nil
	}
	m := &msg{in: in, staff: st}
	switch in.MsgType {
	case "text":
		return b.handleText(ctx, m)
	case "file":
		return b.handleFile(ctx, m)
	case "event":
		if in.Event == "subscribe" || in.Event == "enter_agent" {
			return Reply{Text: fmt.Sprintf("%s，您好！这里是帮困送温暖登记助手。发送“帮助”查看可用命令。", st.Name)}, nil
		}
		return Reply{}, nil
	default:
		return Reply{Text: msgTextOnly}, nil
	}
}

// NeedsStore reports whether answering in needs the store at all; when it
// does not (帮助, 标准, unknown commands, unregistered senders, non-text)
// the HTTP layer can answer without a round trip.
func (b *Bot) NeedsStore(in Incoming) bool {
	st, ok := b.staff.Lookup(in.From)
	if !ok {
		return false
	}
	in, _ = clickAsText(in)
	switch in.MsgType {
	case "file":
		return st.Role == domain.RoleWorker || st.Role == domain.RoleAdmin
	case "text":
		if st.Role != domain.RoleLeader && (understand.IsConfirmation(in.Text) || understand.IsRefusal(in.Text)) {
			return true // a pending change may wait for it
		}
		r, _ := b.match(b.canonical(in.Text))
		if r == nil {
			_, free := b.storeFree(st, in.Text)
			return !free
		}
		return r.store && r.roles.has(st.Role)
	}
	return false
}

// handleText answers a text: a pending change's 是, a canonical command
// (a trailing ？ or 吗 does not matter), or free text read by package
// understand.
func (b *Bot) handleText(ctx context.Context, m *msg) (Reply, error) {
	if m.in.Form {
		// a form's command is canonical by construction: as typed, no 是
		m.confirmed = true
		r, args := b.match(b.normalize(m.in.Text))
		if r == nil {
			return Reply{Text: b.unknown(m.staff, b.normalize(m.in.Text)), Refused: true}, nil
		}
		return b.runRoute(ctx, m, r, args)
	}
	m.in.Text = understand.Clean(m.in.Text)
	yes := m.staff.Role != domain.RoleLeader && understand.IsConfirmation(m.in.Text) // leaders change nothing
	if yes {
		if rep, ok, err := b.confirmPending(ctx, m); ok || err != nil {
			return rep, err
		}
	}
	if m.staff.Role != domain.RoleLeader && understand.IsRefusal(m.in.Text) {
		// 不 or 取消 to a pending change drops it and says no more; with
		// nothing pending the words are read as any other (an admin's 取消
		// of a broadcast)
		dropped, err := b.dropPending(ctx, m)
		if err != nil {
			return Reply{}, err
		}
		if dropped {
			return Reply{Text: msgCancelled}, nil
		}
	}
	r, args := b.match(b.normalize(understand.StripTrailing(m.in.Text))) // already clean
	if r != nil {
		return b.runRoute(ctx, m, r, args)
	}
	if yes {
		return Reply{Text: msgNothingPending, Refused: true}, nil
	}
	if rd, free := b.storeFree(m.staff, m.in.Text); free {
		return b.answerReading(ctx, m, rd, nil)
	}
	return b.inferText(ctx, m, nil)
}

// runRoute runs a matched command for the sender.
func (b *Bot) runRoute(ctx context.Context, m *msg, r *route, args []string) (Reply, error) {
	if !r.roles.has(m.staff.Role) {
		return Reply{Text: refusedRole(m.staff.Role, r), Refused: true}, nil
	}
	if r.changes && m.in.MsgID == "" {
		// every change is keyed by its message; without one, two messages
		// would pass for the same and the second would never apply
		return Reply{}, fmt.Errorf("%s: message without MsgId", r.name)
	}

	m.args = args
	rep, err := r.h(ctx, m)
	if err != nil {
		var ue *domain.UserError
		if errors.As(err, &ue) {
			var ie *inferError
			infer := errors.As(err, &ie) && !m.confirmed
			switch {
			case infer && r.store:
				return b.inferText(ctx, m, ue)
			case infer:
				// a command that needs no store is read again without it
				if rd, free := b.storeFree(m.staff, m.in.Text); free {
					return b.answerReading(ctx, m, rd, ue)
				}
			}
			return Reply{Text: ue.Message, Refused: true}, nil
		}
		b.log.ErrorContext(ctx, "command failed", "command", r.name, "user", m.staff.UserID, "msg_id", m.in.MsgID, "err", err)
		return Reply{}, fmt.Errorf("%s: %w", r.name, err)
	}
	if r.changes && !m.confirmed && !m.proposed {
		// a change carried out drops a pending one; a canonical question
		// (查询, 进度 …) leaves it, as 帮助 does, and costs no round trip
		if _, err := b.dropPending(ctx, m); err != nil {
			b.log.WarnContext(ctx, "drop pending change", "user", m.staff.UserID, "msg_id", m.in.MsgID, "err", err)
		}
	}
	return b.withPageLink(r.name, m, rep), nil
}

// Fixed reply lines.
const (
	msgUnregistered   = "您还没有登记为本助手的用户，请联系街道社区服务办管理员，把您的企业微信账号（userid）加入名单。"
	msgNothingPending = "现在没有待确认的操作。发送“帮助”查看可用命令。"
	msgCancelled      = "好的，已取消，没有记录。"
	msgTextOnly       = "只能接收文字消息和户名单文件（.xlsx/.csv）。例如发送：走访 张三 发放900元"
)
