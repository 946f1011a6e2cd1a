package understand

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Read interprets one message. It never fails: what it cannot read comes
// back as Mode Ask, with the closest command for the sender's role.
func (it *Interpreter) Read(in Input) Reading {
	if !utf8.ValidString(in.Text) {
		in.Text = strings.ToValidUTF8(in.Text, "")
	}
	stripped := stripTrailing(in.Text)
	if r, ok := it.exact(in, stripped); ok {
		return r
	}
	rs := scanText(in.Text)
	d := newDoc(rs)
	d.questionMk = strings.ContainsAny(in.Text, "?？") || endsWithAny(strings.TrimRight(in.Text, trailingPunct), "吗", "呢")
	heads := sortedHeads(in.Heads)

	// a command word at the start, as in 走访 老周师傅 发放900元: the word
	// after it is the name
	lead := None
	if cw, rest, ok := it.canonPrefix(string(rs)); ok && (cw.intent == Visit || cw.intent == Register || cw.intent == Query) {
		lead = cw.intent
		n := utf8.RuneCountInString(cw.word)
		d.claim(0, n)
		j := n
		for j < len(rs) && (rs[j] == ' ' || rs[j] == ':') {
			j++
		}
		k := j
		for k < len(rs) && rs[k] != ' ' {
			k++
		}
		if tok := string(rs[j:k]); k > j && tok == strings.TrimSpace(strings.SplitN(rest, " ", 2)[0]) && !strings.Contains(tok, ":") && !startsWithDigitOrCode(tok) {
			d.names = append(d.names, nameHit{typed: tok, start: j})
			d.claim(j, k)
		}
	}
	today := in.Today
	if today.IsZero() {
		today = time.Now()
	}
	d.scanFields()
	d.scanDates(today)
	it.scanMembers(d)
	d.scanHeads(heads)
	d.scanHonorifics(heads)
	it.scanWords(d)
	d.scanNumbers()
	d.scanGoods()
	d.scanNames(heads)
	switch lead {
	case Visit:
		d.cues |= cueVisit
	case Register:
		d.cues |= cueRegister
	case Query:
		d.cues |= cueQuery
	}
	r := it.decide(in, d)
	r.Named = len(d.names) > 0 || d.code != ""
	return r
}

func endsWithAny(s string, ends ...string) bool {
	for _, e := range ends {
		if strings.HasSuffix(s, e) {
			return true
		}
	}
	return false
}

func startsWithDigitOrCode(tok string) bool {
	return tok == "" || isDigit(firstRune(tok)) || strings.HasPrefix(tok, "编号")
}

// sortedHeads is heads with the longest names first.
func sortedHeads(hs []Head) []Head {
	out := slices.Clone(hs)
	slices.SortStableFunc(out, func(a, b Head) int {
		return utf8.RuneCountInString(b.Name) - utf8.RuneCountInString(a.Name)
	})
	return out
}

// who is the household a message names, as far as it can be told.
type who struct {
	head      *Head
	match     NameMatch
	typed     string
	ambiguous []Head // several heads fit
	several   bool   // several households are named
	newName   string // a name no head has
	surname   string // only a surname, which no head has
	near      []Head // heads one character from newName
	nearSame  []Head // of those, the ones with the same surname
}

// resolve finds the head a typed name means.
func resolve(typed string, heads []Head) who {
	w := who{typed: typed}
	name := typed
	stripped := false
	for {
		cut := false
		if s, ok := strings.CutSuffix(name, string(houseSuffix)); ok && s != "" {
			name, cut = s, true
		}
		for _, h := range honorifics {
			if s, ok := strings.CutSuffix(name, h); ok && s != "" {
				name, cut = s, true
				break
			}
		}
		if !cut {
			break
		}
		stripped = true
	}
	var exact []Head
	for _, h := range heads {
		if h.Name == name {
			exact = append(exact, h)
		}
	}
	switch {
	case len(exact) == 1:
		w.head, w.match = &exact[0], NameExact
		if stripped {
			w.match = NameSuffix
		}
		return w
	case len(exact) > 1:
		w.ambiguous = exact
		return w
	}
	rn := []rune(name)
	if len(rn) == 2 && strings.ContainsRune(nameAffixes, rn[0]) || len(rn) == 1 {
		sur := rn[len(rn)-1]
		var hs []Head
		for _, h := range heads {
			if firstRune(h.Name) == sur {
				hs = append(hs, h)
			}
		}
		switch len(hs) {
		case 0:
			w.surname = string(sur)
		case 1:
			w.head, w.match = &hs[0], NameSurname
		default:
			w.ambiguous = hs
		}
		return w
	}
	var near []Head
	for _, h := range heads {
		if utf8.RuneCountInString(h.Name) != len(rn) || len(rn) < 2 {
			continue
		}
		hn := []rune(h.Name)
		diff := 0
		for i := range hn {
			if hn[i] != rn[i] {
				diff++
				if !slipRune(hn[i]) || !slipRune(rn[i]) {
					diff += 2 // 户w1n8 is not a slip for 户w1n0, nor 甲五 for 甲一
				}
			}
		}
		if diff == 1 && (len(rn) > 2 || hn[0] == rn[0]) {
			near = append(near, h)
			if hn[0] == rn[0] {
				w.nearSame = append(w.nearSame, h)
			}
		}
	}
	w.newName, w.near = name, near
	return w
}

// slipRune reports a character a homophone slip may replace: a Han
// character that is no numeral.
func slipRune(r rune) bool { return isHan(r) && !isCN(r) }

// household is who the message names, across every name in it.
func (d *doc) household(heads []Head) who {
	if d.code != "" {
		for i := range heads {
			if heads[i].Code == d.code {
				return who{head: &heads[i], match: NameExact, typed: "编号" + d.code}
			}
		}
	}
	var found []who
	for _, n := range d.names {
		typed := n.typed
		if n.surname {
			typed = "老" + typed
		}
		w := resolve(typed, heads)
		if n.surname {
			w.typed = n.typed
		}
		found = append(found, w)
	}
	if len(found) == 0 {
		return who{}
	}
	// prefer what matched a head; two different heads are two households
	var best *who
	codes := map[string]bool{}
	for i := range found {
		w := &found[i]
		if w.head != nil {
			codes[w.head.Code] = true
			if best == nil {
				best = w
			}
		}
	}
	if len(codes) > 1 {
		return who{several: true}
	}
	if best != nil {
		return *best
	}
	for i := range found {
		if len(found[i].ambiguous) > 0 || len(found[i].near) > 0 {
			return found[i]
		}
	}
	for i := range found {
		if found[i].newName != "" {
			return found[i]
		}
	}
	return found[0]
}

// decide turns what was found into a reading.
func (it *Interpreter) decide(in Input, d *doc) Reading {
	hh := d.household(in.Heads)
	hasName := hh.head != nil || hh.newName != "" || len(hh.ambiguous) > 0 || hh.surname != "" || hh.several
	question := d.questionMk || d.cues&cueQuestion != 0
	asking := question || d.cues&(cueProgress|cueFund|cueOverdue|cueTodo|cueSchedule|cueStandard|cueQuery|cueByCategory) != 0
	money := len(d.amounts) > 0 || d.cues&(cueFullDue|cueMoneyLater) != 0
	visitish := hasName && (d.cues&(cueVisit|cueTopUp) != 0 || money || len(d.goods) > 0)
	if hasName && d.cues&(cueNegation|cueFuture) != 0 && !question {
		visitish = true
	}
	registerish := hh.newName != "" && len(d.cats) > 0 && !question && !visitish || d.cues&cueRegister != 0 || (len(d.cats) > 0 || d.cues&cueAlone != 0) && (len(d.sizes) > 0 || d.cues&cueAlone != 0 || d.id != "" || d.phone != "" || d.address != "") && !visitish
	leader := in.Role == Leader

	// a follow-up: 二村呢？ after a question about 一村
	if p := in.Prev; p != nil && !p.Intent.Changes() && p.Intent != None && !visitish && !registerish && d.cues&(cueRescue|cueUndo|cueHelp|cueDonate|cueReport|cueSchedule|cueTodo) == 0 {
		if r, ok := it.followUp(in, d, hh, *p); ok {
			return r
		}
	}
	switch {
	case d.cues&cueRescue != 0:
		return it.rescue(in, d)
	case d.cues&cueUndo != 0 && len(d.amounts) == 0 && !hasName:
		if leader {
			return ask(Progress, "进度", "领导账号不能撤销记录。")
		}
		return inferred(Undo, "撤销")
	case d.cues&cueHelp != 0 && !visitish && d.cues&cueDonate == 0:
		return inferred(Help, "帮助")
	case asking && !(visitish && !question && !leader) && !(registerish && !question && !leader):
		if r, ok := it.question(in, d, hh, question); ok {
			return r
		}
	}
	switch {
	case d.cues&cueExport != 0:
		return inferred(Export, "导出")
	case leader:
		if len(d.committees) == 1 {
			return inferred(Progress, "进度 "+d.committees[0])
		}
		if hh.head != nil && !visitish {
			return inferred(Query, "查询 "+ref(*hh.head, in.Heads))
		}
		return ask(Progress, "进度", "领导账号可以查看进度和各户情况。")
	case d.cues&cueDonate != 0:
		return it.donation(in, d)
	case d.cues&cueReport != 0:
		if task := d.task(); task != "" {
			return inferred(Report, "上报 "+task)
		}
		return ask(Report, "上报 方案", "请写上报的是哪一项（方案、名单或小结）。")
	case registerish:
		return it.register(in, d, hh)
	case visitish || money && !hasName || d.cues&cueVisit != 0 && !asking:
		return it.visit(in, d, hh)
	case d.id != "" || d.phone != "":
		return ask(Register, "登记 张三 低保 3人 身份证:… 电话:…", "请写户主姓名、类别和人数。")
	case hh.head != nil:
		return inferred(Query, "查询 "+hh.ref(in.Heads))
	case len(d.cats) > 0:
		return it.standard(d)
	case len(d.committees) == 1 && in.Role != Worker:
		return inferred(Progress, "进度 "+d.committees[0])
	case hh.newName != "" && d.cues&^(cueFiller|cueAck) == 0:
		return ask(Query, "查询 "+hh.newName, "本居委没有户主叫"+hh.newName+"的户。")
	}
	return it.unknown(in, d)
}

// question answers what asks rather than tells; ok is false when nothing
// fits and the message is read on as a statement.
func (it *Interpreter) question(in Input, d *doc, hh who, question bool) (Reading, bool) {
	leader := in.Role == Leader
	switch {
	case d.cues&cueHelp != 0:
		return inferred(Help, "帮助"), true
	case d.cues&cueSchedule != 0:
		return inferred(Schedule, "日程"), true
	case hh.head != nil && d.cues&cueAll == 0 && (question || d.cues&cueQuery != 0):
		return inferred(Query, "查询 "+hh.ref(in.Heads)), true
	case len(hh.ambiguous) > 0 && (question || d.cues&cueQuery != 0):
		return inferred(Query, "查询 "+hh.ambiguous[0].Name), true
	case hh.newName != "" && (question || d.cues&cueQuery != 0) && len(d.committees) == 0:
		if in.Role == Worker && len(hh.near) == 0 {
			return ask(Query, "查询 "+hh.newName, "本居委没有户主叫"+hh.newName+"的户。"), true
		}
		if len(hh.near) == 1 {
			return inferred(Query, "查询 "+ref(hh.near[0], in.Heads)), true
		}
		return inferred(Query, "查询 "+hh.newName), true
	case d.cues&cueTodo != 0 && d.cues&cueAll == 0:
		if len(d.committees) == 1 && in.Role != Worker {
			return inferred(Todo, "待办 居委:"+d.committees[0]), true
		}
		return inferred(Todo, "待办"), true
	case len(d.cats) > 0 && len(d.committees) == 0 && (d.cues&cueStandard != 0 || strings.Contains(d.s, "多少") && d.cues&(cueProgress|cueVisit|cueFund) == 0):
		return it.standard(d), true
	case d.cues&(cueProgress|cueFund|cueOverdue|cueByCategory|cueAll) != 0 || len(d.committees) > 0 || leader && (len(d.cats) > 0 || d.cues&cueMoney != 0):
		return it.progress(in, d), true
	case d.cues&cueStandard != 0:
		return it.standard(d), true
	case d.cues&cueQuery != 0:
		return ask(Query, "查询 张三", "请写要查的户主姓名或编号。"), true
	}
	return Reading{}, false
}

// followUp reads a short message after a question as that question again
// for another committee, view, household or category.
func (it *Interpreter) followUp(in Input, d *doc, hh who, p Reading) (Reading, bool) {
	if len(d.leftovers()) > 1 {
		return Reading{}, false
	}
	switch p.Intent {
	case Progress:
		if len(d.committees) == 1 || d.cues&(cueFund|cueByCategory) != 0 && len(d.committees) == 0 {
			return it.progress(in, d), true
		}
	case Query:
		if hh.head != nil {
			return inferred(Query, "查询 "+ref(*hh.head, in.Heads)), true
		}
	case Standard:
		if len(d.cats) > 0 || len(d.sizes) > 0 {
			c := &doc{cats: d.cats, sizes: d.sizes}
			if len(c.cats) == 0 && len(p.Categories) > 0 {
				c.cats = p.Categories
			}
			return it.standard(c), true
		}
	case Todo:
		if len(d.committees) == 1 {
			return inferred(Todo, "待办 居委:"+d.committees[0]), true
		}
	}
	return Reading{}, false
}

// progress is 进度 with its committee or view.
func (it *Interpreter) progress(in Input, d *doc) Reading {
	r := inferred(Progress, "进度")
	switch {
	case len(d.committees) == 1:
		r.Committee = d.committees[0]
		r.Command = "进度 " + r.Committee
	case len(d.committees) > 1:
	case d.cues&cueFund != 0 || in.Role != Worker && d.cues&cueMoney != 0:
		r.View = "资金"
		r.Command = "进度 资金"
	case d.cues&cueByCategory != 0 || len(d.cats) > 0:
		r.View = "类别"
		r.Command = "进度 类别"
	case d.cues&cueOverdue != 0:
		r.View = "逾期"
	}
	return r
}

// standard is 标准 with its category and size.
func (it *Interpreter) standard(d *doc) Reading {
	r := inferred(Standard, "标准")
	if len(d.cats) > 0 {
		c := d.cats[0]
		r.Categories = []Claim{{Key: c.Key}}
		r.Command += " " + c.Key
		size := c.Persons
		if len(d.sizes) > 0 {
			size = d.sizes[0]
		}
		if size > 0 {
			r.Size = size
			r.Command += fmt.Sprintf(" %d人", size)
		}
	}
	return r
}

// task is the report task the message names.
func (d *doc) task() string {
	best, at := "", len(d.s)+1
	for w, t := range reportTasks {
		if i := strings.Index(d.s, w); i >= 0 && i < at {
			best, at = t, i
		}
	}
	return best
}

// donation is 捐款 with its source and amount.
func (it *Interpreter) donation(in Input, d *doc) Reading {
	src := ""
	for _, s := range donationSources {
		if strings.Contains(d.s, s) {
			src = s
			break
		}
	}
	if src == "" {
		// the words before 捐款: 居民捐款, 收到爱心企业捐款
		if i := strings.Index(d.s, "捐"); i > 0 {
			before := strings.TrimSpace(d.s[:i])
			if f := strings.Fields(before); len(f) > 0 {
				before = f[len(f)-1]
			}
			for _, p := range []string{"收到", "今天", "收了", "来自"} {
				before = strings.TrimPrefix(before, p)
			}
			src = before
		}
	}
	var amt int64
	for _, a := range d.amounts {
		if a.val > amt {
			amt = a.val
		}
	}
	switch {
	case amt == 0:
		return ask(Donate, "捐款 一日捐 5000元", "请写捐款来源和金额。")
	case src == "":
		return ask(Donate, fmt.Sprintf("捐款 一日捐 %d元", amt), "请写捐款来源（一日捐、募捐或捐款单位）。")
	}
	r := inferred(Donate, fmt.Sprintf("捐款 %s %d元", src, amt))
	r.Source, r.Amount, r.HasAmount = src, amt, true
	return r
}

// rescue is 流浪 with the place and what was seen.
func (it *Interpreter) rescue(in Input, d *doc) Reading {
	text := strings.Join(strings.Fields(string(scanText(in.Text))), "")
	if text == "流浪" || text == "" {
		return ask(Rescue, "流浪 甘泉公园东门 老人衣着单薄", "请写地点和情况。")
	}
	place := ""
	if i := strings.Index(text, "在"); i >= 0 {
		rest := text[i+len("在"):]
		for _, w := range placeWords {
			if j := strings.Index(rest, w); j >= 0 {
				place = rest[:j+len(w)]
				break
			}
		}
	}
	if place == "" {
		for _, w := range placeWords {
			if j := strings.Index(text, w); j >= 0 {
				place = text[:j+len(w)]
				break
			}
		}
	}
	if place == "" {
		if j := strings.Index(text, "有"); j > 0 {
			place = text[:j]
		}
	}
	for _, p := range []string{"发现", "今天"} {
		place = strings.TrimPrefix(place, p)
	}
	if place == "" {
		return ask(Rescue, "流浪 地点 "+text, "请写在哪里看到的。")
	}
	situation := strings.Replace(text, place, "", 1)
	situation = strings.TrimPrefix(situation, "在")
	if situation == "" {
		situation = "发现流浪人员"
	}
	r := inferred(Rescue, "流浪 "+place+" "+situation)
	r.Place, r.Situation = place, situation
	return r
}

// register is 登记 from what the message gives.
func (it *Interpreter) register(in Input, d *doc, hh who) Reading {
	r := Reading{Intent: Register, Mode: Inferred}
	example := "登记 张三 低保 3人"
	switch {
	case hh.several:
		return ask(Register, example, "一条消息请只登记一户。")
	case hh.head != nil:
		r.Head, r.Code, r.Match = hh.head.Name, hh.head.Code, hh.match
	case len(hh.ambiguous) > 0:
		r.Head, r.Match = hh.ambiguous[0].Name, NameExact
	case hh.newName != "":
		name, ok := CleanName(hh.newName)
		if !ok {
			return ask(Register, example, fmt.Sprintf("户主姓名最多%d个字，请只写姓名。", MaxNameRunes))
		}
		r.Head, r.Match = name, NameNew
		if len(hh.nearSame) > 0 {
			near := hh.nearSame[0]
			r.Near = &near
		}
	case hh.surname != "":
		return ask(Register, "登记 "+hh.surname+"某某 低保 3人", "请写户主的全名。")
	default:
		return ask(Register, example, "请写户主姓名。")
	}
	if r.Head != hh.typed && hh.typed != "" {
		r.Typed = hh.typed
	}
	seen := map[string]bool{}
	order := make([]int, len(d.cats))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return d.catAt[a] - d.catAt[b] })
	for _, i := range order {
		c := d.cats[i]
		if seen[c.Key] {
			continue
		}
		seen[c.Key] = true
		r.Categories = append(r.Categories, c)
	}
	sizes := uniqInts(d.sizes)
	switch {
	case len(sizes) > 1:
		return ask(Register, example, fmt.Sprintf("人数写了两个（%d人和%d人），请只写一个。", sizes[0], sizes[1]))
	case len(sizes) == 1:
		r.Size = sizes[0]
	case d.cues&cueAlone != 0:
		r.Size = 1
	}
	if r.Size > maxSize {
		return ask(Register, example, fmt.Sprintf("家庭人数应为1到%d人。", maxSize))
	}
	if d.addrLong {
		return ask(Register, example+" 地址:甘泉路88弄3号", fmt.Sprintf("地址最多%d个字。", MaxAddressRunes))
	}
	r.ID, r.Phone, r.Address = d.id, d.phone, d.address
	r.Notes = append(r.Notes, d.notes...)
	for _, w := range d.leftovers() {
		r.Notes = append(r.Notes, w)
	}
	if r.Match == NameNew && (r.Size == 0 || len(r.Categories) == 0) {
		p := "请写家庭人数，例如：3人。"
		if len(r.Categories) == 0 {
			p = "请写补助类别，例如：低保。"
		}
		return askWith(r, registerCommand(r, true), p)
	}
	r.Command = registerCommand(r, false)
	if in.Role == Admin && in.Committee != "" {
		r.Command += " 居委:" + in.Committee
	}
	return r
}

// registerCommand writes a registration in its canonical form; fill puts
// examples where a size or category is missing.
func registerCommand(r Reading, fill bool) string {
	var b strings.Builder
	b.WriteString("登记 " + r.Head)
	for _, c := range r.Categories {
		b.WriteString(" " + c.Key)
		if c.Persons > 0 {
			fmt.Fprintf(&b, "%d人", c.Persons)
		}
	}
	if fill && len(r.Categories) == 0 {
		b.WriteString(" 低保")
	}
	switch {
	case r.Size > 0:
		fmt.Fprintf(&b, " %d人", r.Size)
	case fill:
		b.WriteString(" 3人")
	}
	if r.ID != "" {
		b.WriteString(" 身份证:" + r.ID)
	}
	if r.Phone != "" {
		b.WriteString(" 电话:" + r.Phone)
	}
	if r.Address != "" {
		b.WriteString(" 地址:" + r.Address)
	}
	return b.String()
}

func uniqInts(xs []int) []int {
	var out []int
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// visit is 走访 from what the message gives.
func (it *Interpreter) visit(in Input, d *doc, hh who) Reading {
	r := Reading{Intent: Visit, Mode: Inferred}
	if in.Role == Admin && in.Committee == "" {
		return ask(Visit, "走访 张三 发放900元 居委:甘泉一村", "请写居委，例如：居委:甘泉一村。")
	}
	switch {
	case hh.several:
		return ask(Visit, "走访 张三 发放900元", "一条消息请只写一户的走访。")
	case len(hh.ambiguous) > 0:
		var cs []string
		for _, h := range hh.ambiguous {
			cs = append(cs, h.Name+"（编号"+h.Code+"）")
		}
		return ask(Visit, "走访 编号"+hh.ambiguous[0].Code+" 发放900元", "“"+hh.typed+"”可能是"+strings.Join(cs, "、")+"，请写编号。")
	case hh.head != nil:
		r.Head, r.Code, r.Match = hh.head.Name, hh.head.Code, hh.match
		if hh.typed != r.Head {
			r.Typed = hh.typed
		}
	case hh.newName != "" && len(hh.near) == 1:
		h := hh.near[0]
		r.Head, r.Code, r.Match, r.Typed = h.Name, h.Code, NameSlip, hh.newName
	case hh.newName != "" && len(hh.near) > 1:
		var cs []string
		for _, h := range hh.near {
			cs = append(cs, h.Name+"（编号"+h.Code+"）")
		}
		return ask(Visit, "走访 编号"+hh.near[0].Code+" 发放900元", "没有户主叫"+hh.newName+"的户，可能是"+strings.Join(cs, "、")+"，请写编号。")
	case hh.newName != "":
		if len(in.Heads) == 0 && in.Role != Worker {
			r.Head, r.Match = hh.newName, NameNew
			break
		}
		return ask(Register, "登记 "+hh.newName+" 低保 3人", "本居委没有户主叫"+hh.newName+"的户，请先登记。")
	case hh.surname != "":
		return ask(Visit, "走访 "+hh.surname+"某某 发放900元", "本居委没有姓"+hh.surname+"的户主，请写全名。")
	default:
		return ask(Visit, "走访 张三 发放900元", "请写户主姓名。")
	}
	var due int64
	for _, h := range in.Heads {
		if h.Code == r.Code && r.Code != "" {
			due = h.Due
		}
	}
	example := func() string {
		amt := due
		if amt == 0 {
			amt = 900
		}
		return fmt.Sprintf("走访 %s 发放%d元", ref(Head{Name: r.Head, Code: r.Code}, in.Heads), amt)
	}
	if d.cues&(cueNegation|cueFuture) != 0 && d.cues&cueMoneyLater == 0 || d.future {
		p := "只能记录已经完成的走访，走访后再发。"
		return askWith(r, example(), p)
	}
	if d.dateErr != "" {
		return askWith(r, example(), "日期看不懂，请写 1月15日、今天 或 昨天。")
	}
	// the amount
	var explicit, bare []int64
	for _, a := range d.amounts {
		if a.explicit {
			if !slices.Contains(explicit, a.val) {
				explicit = append(explicit, a.val)
			}
		} else if !slices.Contains(bare, a.val) {
			bare = append(bare, a.val)
		}
	}
	switch {
	case len(explicit) > 1 || len(explicit) == 0 && len(bare) > 1:
		return askWith(r, example(), "金额写了两个，请只写一个。")
	case len(explicit) == 1:
		r.Amount, r.HasAmount = explicit[0], true
	case len(bare) == 1 && bare[0] >= 10:
		r.Amount, r.HasAmount = bare[0], true
	case d.cues&cueMoneyLater == 0 && (d.cues&cueFullDue != 0 || d.cues&cueMoney != 0 && d.cues&cueVisit != 0):
		if due == 0 {
			return askWith(r, example(), "请写发放金额。")
		}
		r.Amount, r.HasAmount, r.FullDue = due, true, true
	}
	if r.HasAmount && (r.Amount <= 0 || r.Amount > maxAmount) {
		return askWith(r, example(), fmt.Sprintf("发放金额应在1到%d元之间，请核对。", maxAmount))
	}
	if d.cues&cueVague != 0 && (!r.HasAmount || r.FullDue) {
		return askWith(r, example(), "请写发放的具体金额。")
	}
	r.TopUp = d.cues&cueTopUp != 0 && r.HasAmount
	r.Goods = strings.Join(d.goods, "和")
	if !r.HasAmount && r.Goods == "" {
		return askWith(r, example(), "请写发放金额或物品。")
	}
	r.Visitor = d.visitor
	if len(d.dates) > 0 {
		r.Date = d.dates[0]
		if r.Date == in.Today.Format("2006-01-02") {
			r.Date = ""
		}
	}
	r.Command = visitCommand(r, in)
	return r
}

// visitCommand writes a visit in its canonical form.
func visitCommand(r Reading, in Input) string {
	var b strings.Builder
	b.WriteString("走访 " + ref(Head{Name: r.Head, Code: r.Code}, in.Heads))
	if r.HasAmount {
		if r.TopUp {
			fmt.Fprintf(&b, " 补发%d元", r.Amount)
		} else {
			fmt.Fprintf(&b, " 发放%d元", r.Amount)
		}
	}
	if r.Goods != "" {
		b.WriteString(" 物品:" + r.Goods)
	}
	if r.Visitor != "" {
		b.WriteString(" 走访人:" + r.Visitor)
	}
	if r.Date != "" {
		t, err := time.Parse("2006-01-02", r.Date)
		if err == nil {
			fmt.Fprintf(&b, " 日期:%d月%d日", int(t.Month()), t.Day())
		}
	}
	if in.Role == Admin && in.Committee != "" {
		b.WriteString(" 居委:" + in.Committee)
	}
	return b.String()
}

// ref names the household found in a command, by 编号 when it was
// written so.
func (w who) ref(heads []Head) string {
	if strings.HasPrefix(w.typed, "编号") {
		return w.typed
	}
	return ref(*w.head, heads)
}

// ref names a household in a command: by its head's name when no other
// household has it, else by its 编号.
func ref(h Head, heads []Head) string {
	n := 0
	for _, x := range heads {
		if x.Name == h.Name {
			n++
		}
	}
	if n > 1 && h.Code != "" {
		return "编号" + h.Code
	}
	return h.Name
}

// unknown is the closest command for what could not be read, by role.
func (it *Interpreter) unknown(in Input, d *doc) Reading {
	switch in.Role {
	case Leader:
		return ask(None, "进度", "")
	}
	switch {
	case len(d.amounts) > 0 || d.cues&(cueVisit|cueMoney|cueFullDue) != 0:
		return ask(Visit, "走访 张三 发放900元", "请写户主姓名和发放金额。")
	case len(d.cats) > 0 || len(d.sizes) > 0 || d.cues&cueRegister != 0:
		return ask(Register, "登记 张三 低保 3人", "请写户主姓名、类别和人数。")
	}
	return ask(None, "帮助", "")
}

func inferred(i Intent, cmd string) Reading { return Reading{Intent: i, Mode: Inferred, Command: cmd} }

func ask(i Intent, cmd, problem string) Reading {
	return Reading{Intent: i, Mode: Ask, Command: cmd, Problem: problem}
}

func askWith(r Reading, cmd, problem string) Reading {
	r.Mode, r.Command, r.Problem = Ask, cmd, problem
	return r
}
