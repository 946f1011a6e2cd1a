package bot

import (
	"context"
	"regexp"
	"strings"

	"songnuan/domain"
)

// roles is the set of roles a command is open to.
type roles uint8

const (
	workers roles = 1 << iota
	leaders
	admins
	everyone = workers | leaders | admins
)

func (rs roles) has(r domain.Role) bool {
	switch r {
	case domain.RoleWorker:
		return rs&workers != 0
	case domain.RoleLeader:
		return rs&leaders != 0
	case domain.RoleAdmin:
		return rs&admins != 0
	}
	return false
}

type handler func(ctx context.Context, m *msg) (Reply, error)

// route is one command: an anchored pattern over normalised text, the roles
// that may use it, and the help line that teaches it.
type route struct {
	name    string
	re      *regexp.Regexp
	roles   roles
	store   bool // the handler reads or writes the store
	changes bool // the handler changes households, keyed by the MsgId
	h       handler
	usage   string   // help line: what the command does
	example string   // example for workers and leaders
	adminEx string   // example for admins, who must name the committee
	hints   []string // words that suggest this command in an unknown text
	says    string   // the same said the way people write it, for 帮助
	asked   bool     // a question a follow-up (二村呢？) may ask again: its answer is remembered
}

// router collects routes in order; the first match wins.
type router struct{ routes []route }

func (r *router) add(pattern string, rs roles, h handler, opts ...func(*route)) {
	rt := route{re: regexp.MustCompile(pattern), roles: rs, h: h}
	for _, o := range opts {
		o(&rt)
	}
	r.routes = append(r.routes, rt)
}

func named(n string) func(*route)      { return func(r *route) { r.name = n } }
func storeBacked(r *route)             { r.store = true }
func changing(r *route)                { r.store, r.changes = true, true }
func says(natural string) func(*route) { return func(r *route) { r.says = natural } }
func help(usage, example, adminEx string, hints ...string) func(*route) {
	return func(r *route) { r.usage, r.example, r.adminEx, r.hints = usage, example, adminEx, hints }
}

// followedUp marks a store-backed question whose answer is remembered for
// a follow-up: only store-backed, so that remembering rides on a round
// trip the message makes anyway, and a message answered without the store
// stays without one.
func followedUp(r *route) { r.store, r.asked = true, true }

// commands is the bot's whole command table: one line per command.
func (b *Bot) commands() []route {
	r := &router{}
	r.add(`^(?:帮助|help|\?|菜单|命令|功能)$`, everyone, b.help,
		named("help"), help("帮助", "帮助", ""))
	r.add(`^(?:登记|新增|添加)(?:\s*:\s*|\s+)(.+)$`, workers|admins, b.register,
		named("register"), changing, says("“新增一户 张三，低保，三口人”"), help("登记一户，回复应发补助", "登记 张三 低保 3人", "登记 张三 低保 3人 居委:甘泉一村", "登记", "人", "低保", "户主", "身份证"))
	r.add(`^(走访|慰问|发放|补发)(?:\s*:\s*|\s+)(.+)$`, workers|admins, b.visit,
		named("visit"), changing, says("“张三家去过了，九百已给”"), help("记录走访和发放", "走访 张三 发放900元", "走访 张三 发放900元 居委:甘泉一村", "走访", "慰问", "发放", "元", "补发", "发", "去过", "看望"))
	r.add(`^(?:撤销|撤回|取消上一条)$`, workers|admins, b.undo,
		named("undo"), changing, says("“上一条发错了，撤掉”"), help("撤销你上一条登记或走访", "撤销", "", "撤"))
	r.add(`^(?:查询|查)(?:\s*:\s*|\s+)(.+)$`, everyone, b.query,
		named("query"), followedUp, says("“张三家的钱发了吗”"), help("查一户的补助和走访", "查询 张三", "查询 张三 居委:甘泉一村", "查", "询"))
	r.add(`^标准(?:\s+(.+))?$`, everyone, b.standards,
		named("standards"), says("“低保三口能拿多少”"), help("补助标准", "标准 低保 3人", "", "标准", "多少钱", "补助"))
	r.add(`^(?:待办|待走访|未走访)(?:\s+(.+))?$`, everyone, b.todo,
		named("todo"), followedUp, says("“还有几户没走访”"), help("还没走访的户和未发金额", "待办", "待办 居委:甘泉一村", "待", "没走访", "未走访"))
	r.add(`^(?:进度|进展|完成情况)(?:\s+(.+))?$`, everyone, b.progress,
		named("progress"), followedUp, says("“目前整体进展如何”"), help("各居委走访和发放进度", "进度", "进度 甘泉一村", "进度", "进展", "完成", "统计", "类别", "资金"))
	r.add(`^(?:日程|日程表|时间表|时间安排)$`, everyone, b.scheduleOverview,
		named("schedule"), says("“最后期限是几号”"), help("当前阶段和截止日期", "日程", "", "日程", "截止", "时间", "阶段", "什么时候"))
	r.add(`^(?:上报)(?:\s+(.+))?$`, workers|admins, b.report,
		named("report"), storeBacked, says("“方案报上去了”"), help("上报已完成的事项（方案、名单、小结）", "上报 2", "上报 2 居委:甘泉一村", "上报", "报", "方案", "名单", "小结", "总结"))
	r.add(`^(?:捐款|捐赠)(?:\s*:\s*|\s+)(.+)$`, workers|admins, b.donation,
		named("donation"), storeBacked, says("“一日捐收了5000元”"), help("记录捐款", "捐款 一日捐 5000元", "捐款 一日捐 5000元 居委:甘泉一村", "捐", "一日捐", "募捐"))
	r.add(`^(?:撤销上报|取消上报)(?:\s+(.+))?$`, workers|admins, b.unreport,
		named("unreport"), storeBacked, help("报错了事项时撤销上报", "撤销上报 2", "撤销上报 2 居委:甘泉一村", "撤销上报", "报错"))
	r.add(`^(?:更正捐款|修改捐款)(?:\s*:\s*|\s+)(.+)$`, workers|admins, b.correctDonation,
		named("correct_donation"), storeBacked, help("把某来源的捐款改成正确的累计金额", "更正捐款 一日捐 4500元", "更正捐款 一日捐 4500元 居委:甘泉一村", "更正", "改捐款", "记错"))
	r.add(`^流浪(?:\s*:\s*|\s+)(.+)$`, everyone, b.rescueReport,
		named("rescue"), storeBacked, says("“公园门口有人露宿”"), help("发现流浪人员，立即通知救助", "流浪 甘泉公园东门 老人衣着单薄", "", "流浪", "乞讨", "露宿", "救助"))
	r.add(`^导出(?:\s+(.+))?$`, leaders|admins, b.export,
		named("export"), storeBacked, help("导出统计表（号码打码）", "导出", "导出 或 导出 完整", "导出", "统计表", "表格", "excel", "Excel"))
	r.add(`^广播(?:\s*:\s*|\s+)(.+)$`, admins, b.broadcast,
		named("broadcast"), storeBacked, help("群发通知（先预览）", "", "广播 明天9点开会 对象:社工", "广播", "群发", "通知"))
	r.add(`^(确认|确定|确认发送|取消|取消发送|放弃)$`, admins, b.confirm,
		named("confirm"), storeBacked, help("确认或取消待发的广播", "", "确认 或 取消", "确认", "取消"))
	return r.routes
}

// match returns the first route whose pattern matches text, with its
// submatches.
func (b *Bot) match(text string) (*route, []string) {
	for i := range b.routes {
		if sm := b.routes[i].re.FindStringSubmatch(text); sm != nil {
			return &b.routes[i], sm[1:]
		}
	}
	return nil, nil
}

// routeNamed returns the route called name.
func (b *Bot) routeNamed(name string) *route {
	for i := range b.routes {
		if b.routes[i].name == name {
			return &b.routes[i]
		}
	}
	return nil
}

// exampleFor is the command's example as the given role should type it.
func (r *route) exampleFor(role domain.Role) string {
	if role == domain.RoleAdmin && r.adminEx != "" {
		return r.adminEx
	}
	return r.example
}

// help lists exactly the commands the sender may use, one line each.
func (b *Bot) help(_ context.Context, m *msg) (Reply, error) {
	if text, ok := b.helpText[m.staff.Role]; ok {
		return Reply{Text: text}, nil
	}
	return Reply{Text: b.helpFor(m.staff.Role)}, nil
}

// helpFor lists the commands role may use, each with an example.
func (b *Bot) helpFor(role domain.Role) string {
	var sb strings.Builder
	sb.WriteString("可用命令（照示例发送）：")
	if role != domain.RoleAdmin {
		sb.WriteString("也可直接说，我复述后您回“是”再记录。")
	}
	for i := range b.routes {
		r := &b.routes[i]
		if r.name == "help" || !r.roles.has(role) {
			continue
		}
		sb.WriteString("\n· " + r.usage + "：" + r.exampleFor(role))
		if r.says != "" && role != domain.RoleAdmin {
			sb.WriteString("，或说" + r.says)
		}
	}
	if role == domain.RoleWorker || role == domain.RoleAdmin {
		sb.WriteString("\n· 批量登记：直接发送户名单文件（.xlsx/.csv，列：户主 人数 类别 身份证 电话 地址 居委）")
	}
	return sb.String()
}

// unknown answers a text that matches no command with the format of the
// command it most resembles.
func (b *Bot) unknown(st domain.Staff, text string) string {
	best, bestScore := (*route)(nil), 0
	for i := range b.routes {
		r := &b.routes[i]
		if r.name == "help" || !r.roles.has(st.Role) {
			continue
		}
		score := 0
		for _, h := range r.hints {
			if strings.Contains(text, h) {
				score += len([]rune(h))
			}
		}
		if best == nil || score > bestScore {
			best, bestScore = r, score
		}
	}
	s := "没看懂这条消息。"
	if best != nil {
		s += r2(best.usage, best.exampleFor(st.Role))
	}
	return s + "\n发送“帮助”查看全部命令。"
}

func r2(usage, example string) string { return usage + "，格式如：" + example }

// refusedRole tells a sender that their role may not use a command.
func refusedRole(role domain.Role, r *route) string {
	if role == domain.RoleLeader {
		return "领导账号只能查看，不能登记、走访或撤销。可以发送：查询 张三 居委:甘泉一村，或发送“帮助”查看可用命令。"
	}
	return "您的账号不能使用“" + r.usage + "”。发送“帮助”查看可用命令。"
}
