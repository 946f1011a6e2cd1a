package schedule

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"songnuan/domain"
	"songnuan/internal/yamlcheck"
)

// Problem is one mistake in a schedule file: its line, the path of the
// key (tasks[2].deadline) and, in Chinese, what to write instead.
type Problem = yamlcheck.Problem

// Error lists every problem found in a schedule file, by line, so
// an admin can fix them all in one go. Its text opens with the file and
// the number of problems, then one "第12行 key：…" line each.
type Error = yamlcheck.Error

// schedLayout writes a schedule's problems in Chinese, line by line.
func schedLayout(source string, problems []Problem) string {
	lines := make([]string, 0, len(problems)+1)
	lines = append(lines, fmt.Sprintf("日程文件 %s 有%d处问题：", source, len(problems)))
	for _, p := range problems {
		key := ""
		if p.Key != "" {
			key = " " + p.Key + "："
		}
		lines = append(lines, fmt.Sprintf("第%d行%s%s", p.Line, key, p.Msg))
	}
	return strings.Join(lines, "\n")
}

var (
	schedIDRe        = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	schedClockRe     = regexp.MustCompile(`^([01]?[0-9]|2[0-3]):([0-5][0-9])$`)
	schedRoleTargets = map[string][]domain.Role{
		"workers": {domain.RoleWorker}, "worker": {domain.RoleWorker},
		"leaders": {domain.RoleLeader}, "leader": {domain.RoleLeader},
		"admins": {domain.RoleAdmin}, "admin": {domain.RoleAdmin},
		"all": {domain.RoleWorker, domain.RoleLeader, domain.RoleAdmin},
	}
)

const (
	schedDateHint  = "应写成 2024-01-20 或 2024-01-20 18:00"
	schedIDHint    = "只能用字母、数字和 . _ -，例如 visits-3d"
	schedMaxBytes  = 2048 // WeCom text message limit
	schedMaxDays   = 366
	schedDefaultTZ = "Asia/Shanghai"
)

// Parse reads a schedule file. source names it in messages. Any
// problem — a syntax error, an unknown key, a bad date, a task or phase that
// does not exist, a template that does not compile — makes it return a
// *Error listing every problem found with its line.
func Parse(data []byte, source string) (*Schedule, error) {
	p := &schedParser{Checker: yamlcheck.New(yamlcheck.Chinese), seen: map[string]bool{}}
	s := p.parse(data)
	if err := p.Err(source, schedLayout); err != nil {
		return nil, err
	}
	s.Source = source
	return s, nil
}

type schedParser struct {
	*yamlcheck.Checker
	loc *time.Location
	// seen holds the names and ids read so far, valid or not, so that a
	// duplicate is found even next to a broken entry, and a reference to
	// a broken entry is not reported a second time.
	seen map[string]bool
}

// fields checks that n is a mapping with only the known keys, each once,
// and returns the value nodes by key.
func (p *schedParser) fields(n *yaml.Node, key string, known ...string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	p.Mapping(n, key, known, func(k, v *yaml.Node, _ string) { out[k.Value] = v })
	return out
}

// scalar returns n's text; a missing node or a list is reported.
func (p *schedParser) scalar(parent, n *yaml.Node, key string, required bool) (string, bool) {
	if n == nil {
		if required {
			p.At(parent, key, "缺少 %s", schedLastKey(key))
		}
		return "", false
	}
	n = yamlcheck.Deref(n)
	if n.Kind != yaml.ScalarNode {
		p.At(n, key, "应是一个值，不是列表")
		return "", false
	}
	v := strings.TrimSpace(n.Value)
	if v == "" && required {
		p.At(n, key, "不能为空")
		return "", false
	}
	return v, true
}

// list returns a sequence of scalars; a single scalar counts as a list of one.
func (p *schedParser) list(n *yaml.Node, key string) []string {
	n = yamlcheck.Deref(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		if v := strings.TrimSpace(n.Value); v != "" {
			return []string{v}
		}
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.At(n, key, "应是列表，例如 [a, b]")
		return nil
	}
	var out []string
	for i, c := range n.Content {
		c = yamlcheck.Deref(c)
		if c.Kind != yaml.ScalarNode || strings.TrimSpace(c.Value) == "" {
			p.At(c, fmt.Sprintf("%s[%d]", key, i+1), "应是一个非空的值")
			continue
		}
		out = append(out, strings.TrimSpace(c.Value))
	}
	return out
}

func schedLastKey(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[i+1:]
	}
	return key
}

func (p *schedParser) items(n *yaml.Node, key string) []*yaml.Node {
	n = yamlcheck.Deref(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.At(n, key, "应是以“- ”开头的列表")
		return nil
	}
	return n.Content
}

func (p *schedParser) parse(data []byte) *Schedule {
	root, ok := p.Decode(data)
	if !ok {
		return nil
	}
	if root == nil {
		p.Add(1, "", "文件是空的，至少要有 name、phases")
		return nil
	}
	f := p.fields(root, "", "name", "timezone", "phases", "tasks", "announcements")
	s := &Schedule{}
	s.Name, _ = p.scalar(root, f["name"], "name", true)

	s.TimeZone = schedDefaultTZ
	if tz, ok := p.scalar(root, f["timezone"], "timezone", false); ok && tz != "" {
		s.TimeZone = tz
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		p.At(f["timezone"], "timezone", "不认识的时区“%s”，例如 Asia/Shanghai", s.TimeZone)
		loc, _ = time.LoadLocation(schedDefaultTZ)
	}
	s.Location, p.loc = loc, loc

	if f["phases"] == nil {
		p.At(root, "phases", "缺少 phases（至少一个阶段）")
	}
	for i, n := range p.items(f["phases"], "phases") {
		key := fmt.Sprintf("phases[%d]", i+1)
		ph, ok := p.phase(n, key, len(s.Phases)+1)
		if ph.Name != "" {
			if p.seen["phase:"+ph.Name] {
				p.At(n, key+".name", "阶段名“%s”重复", ph.Name)
				ok = false
			}
			p.seen["phase:"+ph.Name] = true
		}
		if !ok {
			continue
		}
		if k := len(s.Phases); k > 0 && !ph.Start.After(s.Phases[k-1].End) {
			prev := s.Phases[k-1]
			p.At(n, key+".start", "阶段“%s”应在上一阶段“%s”结束（%s）之后开始", ph.Name, prev.Name, prev.End.Format(time.DateOnly))
			continue
		}
		s.Phases = append(s.Phases, ph)
	}

	for i, n := range p.items(f["tasks"], "tasks") {
		key := fmt.Sprintf("tasks[%d]", i+1)
		t, ok := p.task(n, key)
		if t.ID != "" {
			if p.seen["task:"+t.ID] {
				p.At(n, key+".id", "任务编号“%s”重复", t.ID)
				ok = false
			}
			p.seen["task:"+t.ID] = true
		}
		if ok {
			s.Tasks = append(s.Tasks, t)
		}
	}

	for i, n := range p.items(f["announcements"], "announcements") {
		key := fmt.Sprintf("announcements[%d]", i+1)
		a, ok := p.announcement(s, n, key)
		if a.ID != "" {
			if p.seen["announcement:"+a.ID] {
				p.At(n, key+".id", "公告编号“%s”重复", a.ID)
				ok = false
			}
			p.seen["announcement:"+a.ID] = true
		}
		if ok {
			s.Announcements = append(s.Announcements, a)
		}
	}
	return s
}

func (p *schedParser) phase(n *yaml.Node, key string, index int) (Phase, bool) {
	f := p.fields(n, key, "name", "start", "end")
	ph := Phase{Index: index, Line: yamlcheck.Deref(n).Line}
	var ok1, ok2, ok3 bool
	ph.Name, ok1 = p.scalar(n, f["name"], key+".name", true)
	ph.Start, ok2 = p.date(n, f["start"], key+".start")
	ph.End, ok3 = p.date(n, f["end"], key+".end")
	if ok2 && ok3 && ph.End.Before(ph.Start) {
		p.At(f["end"], key+".end", "结束日期 %s 早于开始日期 %s", ph.End.Format(time.DateOnly), ph.Start.Format(time.DateOnly))
		return ph, false
	}
	return ph, ok1 && ok2 && ok3
}

func (p *schedParser) date(parent, n *yaml.Node, key string) (time.Time, bool) {
	v, ok := p.scalar(parent, n, key, true)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(time.DateOnly, v, p.loc)
	if err != nil {
		p.At(n, key, "日期格式不对：“%s”，应写成 2024-01-20", v)
		return time.Time{}, false
	}
	return t, true
}

func (p *schedParser) task(n *yaml.Node, key string) (Task, bool) {
	f := p.fields(n, key, "id", "what", "owner", "deadline", "scope", "measure")
	t := Task{Line: yamlcheck.Deref(n).Line}
	good := true
	var ok bool
	if t.ID, ok = p.scalar(n, f["id"], key+".id", true); ok && !schedIDRe.MatchString(t.ID) {
		p.At(f["id"], key+".id", "任务编号“%s”不合格，%s", t.ID, schedIDHint)
		ok = false
	}
	good = good && ok
	t.What, ok = p.scalar(n, f["what"], key+".what", true)
	good = good && ok
	if t.Owner, ok = p.scalar(n, f["owner"], key+".owner", true); ok {
		if rs, isRole := schedRoleTargets[t.Owner]; isRole && len(rs) == 1 {
			t.Owner = string(rs[0])
		}
	}
	good = good && ok
	if dl, ok := p.scalar(n, f["deadline"], key+".deadline", true); ok {
		if !p.deadline(f["deadline"], key+".deadline", dl, &t) {
			good = false
		}
	} else {
		good = false
	}
	if sc, ok := p.scalar(n, f["scope"], key+".scope", true); ok {
		switch TaskScope(sc) {
		case ScopeCommittee, ScopeHousehold, ScopeStreet:
			t.Scope = TaskScope(sc)
		default:
			p.At(f["scope"], key+".scope", "scope 只能是 committee（居委）、household（入户）或 street（街道），不是“%s”", sc)
			good = false
		}
	} else {
		good = false
	}
	t.Measure = MeasureNone
	if m, ok := p.scalar(n, f["measure"], key+".measure", false); ok && m != "" {
		switch TaskMeasure(m) {
		case MeasureNone, MeasureVisits, MeasurePayments, MeasureReported:
			t.Measure = TaskMeasure(m)
		default:
			p.At(f["measure"], key+".measure", "measure 只能是 visits（全部走访）、payments（全部发放）、reported（已上报）或 none，不是“%s”", m)
			good = false
		}
		if t.Scope != "" && t.Scope != ScopeCommittee && t.Measure != MeasureNone {
			p.At(f["measure"], key+".measure", "只有 scope: committee 的任务能设 measure")
			good = false
		}
	}
	return t, good
}

func (p *schedParser) deadline(n *yaml.Node, key, v string, t *Task) bool {
	if d, err := time.ParseInLocation(time.DateOnly, v, p.loc); err == nil {
		t.Day, t.Due = d, d.AddDate(0, 0, 1)
		return true
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04"} {
		if d, err := time.ParseInLocation(layout, v, p.loc); err == nil {
			y, m, dd := d.Date()
			t.Day, t.Due, t.HasTime = time.Date(y, m, dd, 0, 0, 0, 0, p.loc), d, true
			return true
		}
	}
	p.At(n, key, "截止时间格式不对：“%s”，%s", v, schedDateHint)
	return false
}

func (p *schedParser) announcement(s *Schedule, n *yaml.Node, key string) (Announcement, bool) {
	f := p.fields(n, key, "id", "when", "to", "kind", "template", "only_if_open")
	a := Announcement{Line: yamlcheck.Deref(n).Line, Kind: domain.KindText, ClockMinutes: schedDefaultClock}
	good := true
	var ok bool
	if a.ID, ok = p.scalar(n, f["id"], key+".id", true); ok && !schedIDRe.MatchString(a.ID) {
		p.At(f["id"], key+".id", "公告编号“%s”不合格，%s", a.ID, schedIDHint)
		ok = false
	}
	good = good && ok

	if f["when"] == nil {
		p.At(n, key+".when", "缺少 when，例如 when: {phase_start: 调查摸底} 或 when: {before_deadline: {task: visits, days: 3}} 或 when: {at: 2024-01-09T09:00:00+08:00}")
		good = false
	} else if !p.when(s, f["when"], key+".when", &a) {
		good = false
	}

	if f["to"] == nil {
		p.At(n, key+".to", "缺少 to，例如 to: {roles: [workers]}")
		good = false
	} else if !p.targets(f["to"], key+".to", &a.To) {
		good = false
	}

	if k, ok := p.scalar(n, f["kind"], key+".kind", false); ok && k != "" {
		switch domain.MessageKind(k) {
		case domain.KindText, domain.KindMarkdown:
			a.Kind = domain.MessageKind(k)
		default:
			p.At(f["kind"], key+".kind", "kind 只能是 text 或 markdown，不是“%s”", k)
			good = false
		}
	}

	if v, ok := p.scalar(n, f["only_if_open"], key+".only_if_open", false); ok {
		switch v {
		case "true":
			a.OnlyIfOpen = true
		case "false":
		default:
			p.At(f["only_if_open"], key+".only_if_open", "only_if_open 只能是 true 或 false，不是“%s”", v)
			good = false
		}
	}
	if a.OnlyIfOpen {
		to := a.To
		if slices.ContainsFunc(to.Roles, func(r domain.Role) bool { return r != domain.RoleWorker }) || len(to.Parties)+len(to.Tags) > 0 || to.ChatID != "" || to.RobotKey != "" {
			p.At(f["only_if_open"], key+".only_if_open", "only_if_open 按居委判断有没有未完成的事，只能发给 roles: [workers] 或 users")
			good = false
		}
		if a.When == WhenBeforeDeadline {
			if t, ok := s.TaskByID(a.Task); ok && t.Scope != ScopeCommittee {
				p.At(f["only_if_open"], key+".only_if_open", "任务“%s”不是居委任务，无法判断居委是否完成", t.ID)
				good = false
			}
		}
	}

	if a.Template, ok = p.scalar(n, f["template"], key+".template", true); ok {
		t, err := schedTemplate(a.ID, a.Template)
		if err == nil {
			var b strings.Builder
			err = t.Execute(&b, schedSampleData)
			if err == nil && b.Len() > schedMaxBytes {
				err = fmt.Errorf("示例内容有%d字节，超过企业微信的%d字节上限", b.Len(), schedMaxBytes)
			}
		}
		if err != nil {
			p.At(f["template"], key+".template", "模板有误：%v。可用 {{.Committee}} {{.Households}} {{.Unvisited}} {{.Short}} {{.DaysLeft}} {{.Deadline}} {{.Task}} {{.Phase}} {{.Open}} {{.Name}}", err)
			ok = false
		}
		a.tmpl = t
	}
	good = good && ok
	return a, good
}

// schedSampleData exercises every field when a template is checked.
var schedSampleData = AnnouncementData{
	Name: "王芳", Committee: "甘泉一村", Households: 120, Unvisited: 12, Short: 12000,
	DaysLeft: 3, Deadline: "2月6日", Task: "走访慰问全部帮困对象", Phase: "募捐、走访慰问",
	Open: "· 走访慰问全部帮困对象：还有12户未走访\n· 各类帮困资金全部发放到户：还有12000元未发放",
}

func (p *schedParser) when(s *Schedule, n *yaml.Node, key string, a *Announcement) bool {
	f := p.fields(n, key, "phase_start", "before_deadline", "at", "time")
	var kinds []string
	for _, k := range []string{"phase_start", "before_deadline", "at"} {
		if f[k] != nil {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 {
		p.At(n, key, "when 要有且只有 phase_start、before_deadline、at 其中一项（现有%d项）", len(kinds))
		return false
	}
	good := true
	if v, ok := p.scalar(n, f["time"], key+".time", false); ok && v != "" {
		m := schedClockRe.FindStringSubmatch(v)
		switch {
		case kinds[0] == "at":
			p.At(f["time"], key+".time", "at 已含时间，不要再写 time")
			good = false
		case m == nil:
			p.At(f["time"], key+".time", "时间格式不对：“%s”，应写成 09:00", v)
			good = false
		default:
			h, _ := strconv.Atoi(m[1])
			mi, _ := strconv.Atoi(m[2])
			a.ClockMinutes = h*60 + mi
		}
	}
	switch kinds[0] {
	case "phase_start":
		a.When = WhenPhaseStart
		v, ok := p.scalar(n, f["phase_start"], key+".phase_start", true)
		if !ok {
			return false
		}
		a.Phase = v
		if !slices.ContainsFunc(s.Phases, func(ph Phase) bool { return ph.Name == v }) {
			if p.seen["phase:"+v] {
				return false // the phase itself is broken and reported
			}
			names := make([]string, len(s.Phases))
			for i, ph := range s.Phases {
				names[i] = ph.Name
			}
			p.At(f["phase_start"], key+".phase_start", "没有叫“%s”的阶段，可选：%s", v, strings.Join(names, "、"))
			return false
		}
	case "before_deadline":
		a.When = WhenBeforeDeadline
		bk := key + ".before_deadline"
		bf := p.fields(f["before_deadline"], bk, "task", "days")
		id, ok := p.scalar(f["before_deadline"], bf["task"], bk+".task", true)
		if !ok {
			return false
		}
		a.Task = id
		days, dok := p.scalar(f["before_deadline"], bf["days"], bk+".days", true)
		if !dok {
			return false
		}
		d, err := strconv.Atoi(days)
		if err != nil || d < 0 || d > schedMaxDays {
			p.At(bf["days"], bk+".days", "days 应是0到%d之间的整数（截止日前几天），不是“%s”", schedMaxDays, days)
			return false
		}
		a.Days = d
		t, found := s.TaskByID(id)
		if !found && p.seen["task:"+id] {
			return false // the task itself is broken and reported
		}
		if !found {
			ids := make([]string, len(s.Tasks))
			for i, t := range s.Tasks {
				ids[i] = t.ID
			}
			p.At(bf["task"], bk+".task", "没有编号为“%s”的任务，可选：%s", id, strings.Join(ids, ", "))
			return false
		}
		if good && !s.atClock(t.Day.AddDate(0, 0, -d), a.ClockMinutes).Before(t.Due) {
			p.At(bf["days"], bk+".days", "提醒时间不早于任务“%s”的截止时间，提醒就没有用了", id)
			return false
		}
	case "at":
		a.When = WhenAt
		v, ok := p.scalar(n, f["at"], key+".at", true)
		if !ok {
			return false
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t, err = time.ParseInLocation("2006-01-02 15:04", v, p.loc)
		}
		if err != nil {
			p.At(f["at"], key+".at", "时间格式不对：“%s”，应写成 2024-01-09T09:00:00+08:00 或 2024-01-09 09:00", v)
			return false
		}
		a.At = t
	}
	return good
}

func (p *schedParser) targets(n *yaml.Node, key string, to *Targets) bool {
	f := p.fields(n, key, "roles", "users", "parties", "tags", "chat_id", "robot_key")
	good := true
	for i, r := range p.list(f["roles"], key+".roles") {
		rs, ok := schedRoleTargets[r]
		if !ok {
			p.At(yamlcheck.Deref(f["roles"]), fmt.Sprintf("%s.roles[%d]", key, i+1), "roles 只能是 workers（居委干部）、leaders（领导）、admins（管理员）或 all，不是“%s”", r)
			good = false
			continue
		}
		for _, role := range rs {
			if !slices.Contains(to.Roles, role) {
				to.Roles = append(to.Roles, role)
			}
		}
	}
	to.Users = p.list(f["users"], key+".users")
	to.Parties = p.list(f["parties"], key+".parties")
	to.Tags = p.list(f["tags"], key+".tags")
	to.ChatID, _ = p.scalar(n, f["chat_id"], key+".chat_id", false)
	to.RobotKey, _ = p.scalar(n, f["robot_key"], key+".robot_key", false)
	if good && len(to.Roles)+len(to.Users)+len(to.Parties)+len(to.Tags) == 0 && to.ChatID == "" && to.RobotKey == "" {
		p.At(n, key, "没有收件人：写 roles、users、parties、tags、chat_id 或 robot_key，例如 to: {roles: [workers]}")
		good = false
	}
	return good
}
