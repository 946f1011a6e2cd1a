package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"songnuan/domain"
	"songnuan/policy"
	"songnuan/redact"
)

// maxAttempts bounds how often a change is re-read and decided again after
// a concurrent change (ErrConflict) before the bot gives up.
const maxAttempts = 6

// register handles 登记.
func (b *Bot) register(ctx context.Context, m *msg) (Reply, error) {
	a, err := b.parseRegister(m.args[0])
	if err != nil {
		return Reply{}, err
	}
	committee, err := b.changeScope(m.staff, a.Committee)
	if err != nil {
		return Reply{}, err
	}
	if !m.confirmed && a.Code == "" && a.Head != "" {
		if rep, ok, err := b.lookAlike(ctx, m, committee, a.Head); ok || err != nil {
			return rep, err
		}
	}
	out, err := b.registerIn(ctx, m.staff, committee, a, m.opID(), m.in.MsgID, false)
	if err != nil {
		return Reply{}, err
	}
	ctr := out.Counters
	if ctr == nil {
		if ctr, err = b.store.Counters(ctx, committee); err != nil {
			return Reply{}, fmt.Errorf("read counters %s: %w", committee, err)
		}
	}
	// The tasks still open and the days left, as every change's answer
	// gives them; the entitlement still ends with its total.
	return Reply{Text: b.withDeadlinesAboveTotal(out.Text, ctr)}, nil
}

// regKind is what a registration did.
type regKind int

const (
	regCreated regKind = iota
	regUpdated
	regUnchanged
	regReplayed
)

// regOutcome is the result of one registration, from chat or import.
type regOutcome struct {
	Kind regKind
	Code string
	Text string
	// Counters are the committee's counters read with the change; nil
	// when nothing was applied.
	Counters domain.Counters
}

// registerIn registers a household in committee: a new one, or an update
// of the one it names (by code, ID or head). Changes are applied with opID
// so a repeated message or import row never applies twice. imp marks an
// import row: it is not undoable, and a person already registered under
// another head of the committee updates that household.
func (b *Bot) registerIn(ctx context.Context, actor domain.Staff, committee string, a regArgs, opID, msgID string, imp bool) (regOutcome, error) {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		out, retry, err := b.registerOnce(ctx, actor, committee, a, opID, msgID, imp, attempt)
		if err != nil || !retry {
			return out, err
		}
		if err := pause(ctx, attempt); err != nil {
			return regOutcome{}, err
		}
	}
	return regOutcome{}, fmt.Errorf("register in %s: %w", committee, ErrConflict)
}

// pause waits a little longer after each failed attempt, so that a change
// still in flight elsewhere can land.
func pause(ctx context.Context, attempt int) error {
	t := time.NewTimer(time.Duration(5*(attempt+1)) * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (b *Bot) registerOnce(ctx context.Context, actor domain.Staff, committee string, a regArgs, opID, msgID string, imp bool, attempt int) (regOutcome, bool, error) {
	idHash := ""
	if a.ID != "" {
		idHash = b.sealer.Hash(a.ID)
	}
	before, err := b.findForRegister(ctx, committee, a, idHash)
	if err != nil {
		return regOutcome{}, false, err
	}

	// The person may already be registered under another head or in another
	// committee; claim the ID before anything is written.
	var claimed string // hash freshly claimed for a new code, released if nothing is stored
	code := ""
	if before != nil {
		code = before.Code
	}
	after, changes, err := b.buildHousehold(actor, committee, a, before, imp)
	if err != nil {
		return regOutcome{}, false, err
	}
	if before != nil && sameHousehold(before, after) {
		return b.unchanged(ctx, before, opID, imp)
	}
	if before == nil {
		code, err = b.store.NextCode(ctx, committee)
		if err != nil {
			return regOutcome{}, false, fmt.Errorf("next code in %s: %w", committee, err)
		}
	}
	after.Code = code
	if idHash != "" && (before == nil || before.IDHash != idHash) {
		ref := PersonRef{Committee: committee, Code: code}
		holder, err := b.store.ClaimPerson(ctx, idHash, ref)
		if err != nil {
			return regOutcome{}, false, fmt.Errorf("claim person: %w", err)
		}
		if holder != ref {
			return b.heldElsewhere(ctx, actor, committee, a, holder, idHash, opID, msgID, imp, attempt)
		}
		if before == nil {
			claimed = idHash
		}
	}
	release := func() {
		if claimed != "" {
			if err := b.store.ReleasePerson(ctx, claimed, PersonRef{Committee: committee, Code: code}); err != nil {
				b.log.WarnContext(ctx, "release person claim", "committee", committee, "code", code, "err", err)
			}
		}
	}

	kind, todo, what := ChangeUpdate, TodoKeep, "更新"
	text := ""
	if before == nil {
		kind, todo, what = ChangeRegister, TodoAdd, "登记"
		text = lines("已登记："+householdHeader(after), personalLine(after), strings.Join(itemLines(after.Head, after.Entitlement), "\n"))
	} else {
		text = lines("已更新："+householdHeader(after), "变更："+strings.Join(changes, "；"), personalLine(after), strings.Join(itemLines(after.Head, after.Entitlement), "\n"))
	}
	undo := UndoPush
	if imp {
		kind, undo = ChangeImport, UndoNone
	}
	ch := Change{
		OpID: opID, Kind: kind, Actor: actor.UserID, At: b.now(),
		Committee: committee, Code: code,
		Before: before, After: after,
		Deltas: domain.CounterDeltas(before, after),
		Todo:   todo,
		Undo:   undo,
		Result: text,
		Audit:  auditDetail(actor, what+" "+strings.Join(changes, "；"), before, after, msgID),
	}
	ap, err := b.store.Apply(ctx, ch)
	switch {
	case errors.Is(err, ErrConflict):
		release()
		return regOutcome{}, true, nil
	case err != nil:
		release()
		return regOutcome{}, false, fmt.Errorf("apply %s %s/%s: %w", kind, committee, code, err)
	case ap.Replayed:
		release()
		return regOutcome{Kind: regReplayed, Code: code, Text: ap.Result, Counters: ap.Counters}, false, nil
	}
	if before != nil && before.IDHash != "" && before.IDHash != after.IDHash {
		if err := b.store.ReleasePerson(ctx, before.IDHash, PersonRef{Committee: committee, Code: code}); err != nil {
			b.log.WarnContext(ctx, "release old person claim", "committee", committee, "code", code, "err", err)
		}
	}
	if before == nil {
		return regOutcome{Kind: regCreated, Code: code, Text: text, Counters: ap.Counters}, false, nil
	}
	return regOutcome{Kind: regUpdated, Code: code, Text: text, Counters: ap.Counters}, false, nil
}

// findForRegister finds the household a registration is about, or nil for
// a new one: by code; else the committee's household with this head and
// this ID (or with no ID yet). A head shared by several households without
// an ID to tell them apart is a question back to the user, never a guess.
func (b *Bot) findForRegister(ctx context.Context, committee string, a regArgs, idHash string) (*domain.Household, error) {
	if a.Code != "" {
		h, err := b.store.Household(ctx, committee, a.Code)
		if errors.Is(err, ErrNotFound) {
			return nil, domain.Userf("本居委没有编号" + a.Code + "的户。新登记请不写编号，例如：登记 张三 低保 3人")
		}
		if err != nil {
			return nil, fmt.Errorf("read household %s/%s: %w", committee, a.Code, err)
		}
		return &h, nil
	}
	hs, err := b.store.FindByHead(ctx, committee, a.Head)
	if err != nil {
		return nil, fmt.Errorf("find head in %s: %w", committee, err)
	}
	if idHash != "" {
		var noID []domain.Household
		for i := range hs {
			if hs[i].IDHash == idHash {
				return &hs[i], nil
			}
			if hs[i].IDHash == "" {
				noID = append(noID, hs[i])
			}
		}
		switch len(noID) {
		case 0:
			return nil, nil // same head, another person: a new household
		case 1:
			return &noID[0], nil
		}
		return nil, ambiguous(a.Head, noID, "登记 编号%s 身份证:…")
	}
	switch len(hs) {
	case 0:
		return nil, nil
	case 1:
		return &hs[0], nil
	}
	return nil, ambiguous(a.Head, hs, "登记 编号%s …")
}

// ambiguous asks which of several households with one head is meant,
// listing codes and masked IDs.
func ambiguous(head string, hs []domain.Household, example string) error {
	slices.SortFunc(hs, func(x, y domain.Household) int { return codeCompare(x.Code, y.Code) })
	ls := []string{fmt.Sprintf("本居委有%d户户主叫%s，请用编号指明是哪一户：", len(hs), head)}
	for i, h := range hs {
		if i == 8 {
			ls = append(ls, fmt.Sprintf("等另外%d户", len(hs)-8))
			break
		}
		id := "未填身份证"
		if h.IDMasked != "" {
			id = "身份证 " + h.IDMasked
		}
		ls = append(ls, fmt.Sprintf("编号%s %s %d人", h.Code, id, h.Size))
	}
	ls = append(ls, "例如："+fmt.Sprintf(example, hs[0].Code))
	return domain.Userf(strings.Join(ls, "\n"))
}

// codeCompare orders household codes numerically.
func codeCompare(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// heldElsewhere answers a registration whose person is already registered
// in another household. Another committee's record is never shown beyond
// its committee's name. A claim whose household does not exist is a
// registration still in flight (retried) or one that failed (taken over).
func (b *Bot) heldElsewhere(ctx context.Context, actor domain.Staff, committee string, a regArgs, holder PersonRef, idHash, opID, msgID string, imp bool, attempt int) (regOutcome, bool, error) {
	h, err := b.store.Household(ctx, holder.Committee, holder.Code)
	if errors.Is(err, ErrNotFound) {
		if attempt < maxAttempts-2 {
			return regOutcome{}, true, nil
		}
		if err := b.store.ReleasePerson(ctx, idHash, holder); err != nil {
			return regOutcome{}, false, fmt.Errorf("release stale claim: %w", err)
		}
		return regOutcome{}, true, nil
	}
	if err != nil {
		return regOutcome{}, false, fmt.Errorf("read claim holder: %w", err)
	}
	if holder.Committee != committee {
		return regOutcome{}, false, domain.Userf("重复：此人已在" + holder.Committee + "登记，不能重复登记。如需转到本居委，请联系社区服务办。")
	}
	if first, ok, err := b.replayed(ctx, opID, committee); err != nil || ok {
		// the same message, delivered again while its first delivery ran
		return regOutcome{Kind: regReplayed, Code: h.Code, Text: first}, false, err
	}
	if imp {
		// The import matches by ID first: the same person under another head
		// (a renamed or corrected head) is that household.
		a.Code = h.Code
		return b.registerOnce(ctx, actor, committee, a, opID, msgID, imp, attempt)
	}
	return regOutcome{}, false, domain.Userf(fmt.Sprintf("重复：此人已登记为编号%s（户主%s）。要修改请发送：登记 编号%s 加要改的内容，例如：登记 编号%s 4人", h.Code, h.Head, h.Code, h.Code))
}

// unchanged answers a registration that changes nothing. When it is this
// user's last change coming back (a re-delivered message), the stored
// first answer is returned instead.
func (b *Bot) unchanged(ctx context.Context, h *domain.Household, opID string, imp bool) (regOutcome, bool, error) {
	if !imp {
		first, ok, err := b.replayed(ctx, opID, h.Committee)
		if err != nil {
			return regOutcome{}, false, err
		}
		if ok {
			return regOutcome{Kind: regReplayed, Code: h.Code, Text: first}, false, nil
		}
	}
	text := lines("已登记过，内容没有变化："+householdHeader(h), personalLine(h), strings.Join(itemLines(h.Head, h.Entitlement), "\n"))
	return regOutcome{Kind: regUnchanged, Code: h.Code, Text: text}, false, nil
}

// replayed asks the store whether opID was applied in committee, and for
// its answer, without changing anything.
func (b *Bot) replayed(ctx context.Context, opID, committee string) (string, bool, error) {
	first, ok, err := b.store.Replayed(ctx, committee, opID)
	if err != nil {
		return "", false, fmt.Errorf("look up op %s: %w", opID, err)
	}
	return first, ok, nil
}

// buildHousehold is the household after a registration: before (nil for
// a new one) with what a states, its entitlement computed anew under the
// current policy, and the list of changes in words.
func (b *Bot) buildHousehold(actor domain.Staff, committee string, a regArgs, before *domain.Household, replace bool) (*domain.Household, []string, error) {
	now := b.now()
	h := &domain.Household{Committee: committee, CreatedAt: now, CreatedBy: actor.UserID}
	if before != nil {
		c := *before
		c.Categories = slices.Clone(before.Categories)
		c.Visits = slices.Clone(before.Visits)
		h = &c
	}
	if a.Head != "" {
		h.Head = a.Head
	}
	size, err := resolveSize(a, h.Size)
	if err != nil {
		return nil, nil, err
	}
	h.Size = size
	cs, err := resolveClaims(a.Claims, size)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case before == nil || replace && len(cs) > 0:
		h.Categories = cs
	default:
		// In chat a registration of a known household states what changes:
		// the categories it names are added or replaced, 去掉:X removes one.
		h.Categories = mergeClaims(h.Categories, cs)
	}
	for _, r := range a.Remove {
		i := slices.IndexFunc(h.Categories, func(c domain.CategoryClaim) bool { return c.Category == r })
		if i < 0 {
			return nil, nil, domain.Userf("这一户没有登记“" + r + "”，不用去掉。发送 查询 " + h.Head + " 查看已登记的类别。")
		}
		h.Categories = slices.Delete(h.Categories, i, i+1)
	}
	if len(h.Categories) == 0 {
		return nil, nil, domain.Userf("请写至少一个补助类别，例如 低保、特困供养1人。发送“标准”查看全部类别。" + fmtRegister)
	}
	for _, c := range h.Categories {
		// a new size may leave a per-person count too large
		if c.Persons > size {
			return nil, nil, domain.Userf(fmt.Sprintf("%s有%d人，多于家庭人数%d人。请一起改，例如：登记 编号%s %d人 %s%d人", c.Category, c.Persons, size, h.Code, size, c.Category, size))
		}
	}
	// Sealing is not deterministic: keep the stored sealed value when the
	// number is the same, so an unchanged registration changes nothing.
	if a.ID != "" {
		if hash := b.sealer.Hash(a.ID); hash != h.IDHash {
			h.IDHash, h.IDSealed, h.IDMasked = hash, b.sealer.Seal(a.ID), redact.ID(a.ID)
		}
	}
	if a.Phone != "" && !b.sealedIs(h.PhoneSealed, a.Phone) {
		h.PhoneSealed, h.PhoneMasked = b.sealer.Seal(a.Phone), redact.Phone(a.Phone)
	}
	if a.Address != "" {
		h.Address, h.AddressSealed = b.freeText(h.AddressSealed, a.Address)
	}
	ent, err := b.entitle(h)
	if err != nil {
		return nil, nil, err
	}
	h.Entitlement = ent
	h.UpdatedAt, h.UpdatedBy = now, actor.UserID
	if before != nil {
		h.Version = before.Version + 1
	} else {
		h.Version = 1
	}
	return h, describeChanges(before, h), nil
}

// freeText is how a free-text field (an address, goods, a note) is kept:
// shown with every ID and phone number in it masked, and, when it held
// one, as typed under seal. sealed is the field's stored sealed value,
// kept when it already holds text, so an unchanged field changes nothing.
func (b *Bot) freeText(sealed, text string) (masked, sealedOut string) {
	masked = redact.Text(text)
	if masked == text {
		return text, ""
	}
	if b.sealedIs(sealed, text) {
		return masked, sealed
	}
	return masked, b.sealer.Seal(text)
}

// sealedIs reports whether sealed holds plain.
func (b *Bot) sealedIs(sealed, plain string) bool {
	if sealed == "" {
		return false
	}
	got, err := b.sealer.Open(sealed)
	return err == nil && got == plain
}

// entitle is the policy's entitlement for h plus the leader-visit item of
// any leader visit already recorded, so a re-registration keeps it due.
func (b *Bot) entitle(h *domain.Household) (domain.Entitlement, error) {
	ent, err := policy.Entitle(b.policy, h)
	if err != nil {
		return domain.Entitlement{}, err
	}
	for _, v := range h.Visits {
		if v.TopUp || v.Visitor == domain.VisitorCommittee {
			continue
		}
		if it, ok := b.policy.LeaderItem(v.Visitor); ok {
			ent.Items = append(ent.Items, it)
			ent.Total += it.Amount
		}
	}
	return ent, nil
}

// mergeClaims adds claims to old, a claim of a category already there
// replacing it in place.
func mergeClaims(old, claims []domain.CategoryClaim) []domain.CategoryClaim {
	out := slices.Clone(old)
	for _, c := range claims {
		if i := slices.IndexFunc(out, func(o domain.CategoryClaim) bool { return o.Category == c.Category }); i >= 0 {
			out[i] = c
		} else {
			out = append(out, c)
		}
	}
	return out
}

// resolveSize is the household size: as stated, as glued to a
// household-level category (低保3人), or the old one.
func resolveSize(a regArgs, old int) (int, error) {
	size := a.Size
	for _, c := range a.Claims {
		if c.Cat.Level != "household" || c.Persons == 0 {
			continue
		}
		if size != 0 && size != c.Persons {
			return 0, domain.Userf(fmt.Sprintf("%s%d人 和 家庭人数%d人 不一致，请只写一个人数。", c.Cat.Key, c.Persons, size) + fmtRegister)
		}
		size = c.Persons
	}
	if size == 0 {
		size = old
	}
	if size == 0 {
		return 0, domain.Userf("请写家庭人数，例如 3人。" + fmtRegister)
	}
	return size, nil
}

// resolveClaims turns typed categories into the household's claims: a
// person-level category covers the persons glued to it (or the only
// person), a household-level one the household.
func resolveClaims(cs []claimArg, size int) ([]domain.CategoryClaim, error) {
	out := make([]domain.CategoryClaim, 0, len(cs))
	for _, c := range cs {
		cl := domain.CategoryClaim{Category: c.Cat.Key, Amount: c.Amount}
		if c.Cat.Level != "household" {
			n := c.Persons
			if n == 0 {
				if size != 1 {
					return nil, domain.Userf(fmt.Sprintf("%s按人计，请写明几人，例如：%s1人。", c.Cat.Key, c.Cat.Key) + fmtRegister)
				}
				n = 1
			}
			if n > size {
				return nil, domain.Userf(fmt.Sprintf("%s%d人 多于家庭人数%d人，请核对。", c.Cat.Key, n, size) + fmtRegister)
			}
			cl.Persons = n
		}
		out = append(out, cl)
	}
	return out, nil
}

// sameHousehold reports whether a registration changed nothing that is
// stored.
func sameHousehold(a, b *domain.Household) bool {
	return a.Head == b.Head && a.Size == b.Size && slices.Equal(a.Categories, b.Categories) &&
		a.IDHash == b.IDHash && a.PhoneMasked == b.PhoneMasked && a.Address == b.Address &&
		a.Entitlement.Total == b.Entitlement.Total && a.Entitlement.PolicyVersion == b.Entitlement.PolicyVersion &&
		a.Entitlement.Policy == b.Entitlement.Policy && len(a.Entitlement.Items) == len(b.Entitlement.Items) &&
		a.PhoneSealed == b.PhoneSealed && a.AddressSealed == b.AddressSealed
}

// describeChanges lists what a registration changed, in words, masked.
func describeChanges(before, after *domain.Household) []string {
	if before == nil {
		return []string{"新登记"}
	}
	var cs []string
	if before.Head != after.Head {
		cs = append(cs, "户主 "+before.Head+"→"+after.Head)
	}
	if before.Size != after.Size {
		cs = append(cs, fmt.Sprintf("人数 %d→%d", before.Size, after.Size))
	}
	old := map[string]domain.CategoryClaim{}
	for _, c := range before.Categories {
		old[c.Category] = c
	}
	var added, changed []string
	for _, c := range after.Categories {
		o, ok := old[c.Category]
		switch {
		case !ok:
			added = append(added, c.Category)
		case o.Persons != c.Persons:
			changed = append(changed, fmt.Sprintf("%s %d→%d人", c.Category, o.Persons, c.Persons))
		case o.Amount != c.Amount:
			changed = append(changed, fmt.Sprintf("%s %d→%d元", c.Category, o.Amount, c.Amount))
		}
		delete(old, c.Category)
	}
	if len(added) > 0 {
		cs = append(cs, "新增类别 "+strings.Join(added, "、"))
	}
	cs = append(cs, changed...)
	if len(old) > 0 {
		var removed []string
		for _, c := range before.Categories {
			if _, ok := old[c.Category]; ok {
				removed = append(removed, c.Category)
			}
		}
		cs = append(cs, "去掉类别 "+strings.Join(removed, "、"))
	}
	if before.IDHash != after.IDHash {
		if before.IDHash == "" {
			cs = append(cs, "补充身份证 "+after.IDMasked)
		} else {
			cs = append(cs, "身份证 "+before.IDMasked+"→"+after.IDMasked)
		}
	}
	if before.PhoneSealed != after.PhoneSealed && before.PhoneMasked+after.PhoneMasked != "" {
		cs = append(cs, "电话 "+maskedOr(before.PhoneMasked)+"→"+after.PhoneMasked)
	}
	if before.Address != after.Address || before.AddressSealed != after.AddressSealed {
		cs = append(cs, "地址 "+maskedOr(before.Address)+"→"+after.Address)
	}
	if before.Entitlement.PolicyVersion != after.Entitlement.PolicyVersion || before.Entitlement.Policy != after.Entitlement.Policy {
		cs = append(cs, "按现行标准重算")
	}
	if before.Entitlement.Total != after.Entitlement.Total {
		cs = append(cs, fmt.Sprintf("合计 %d→%d元", before.Entitlement.Total, after.Entitlement.Total))
	}
	if len(cs) == 0 {
		cs = append(cs, "无")
	}
	return cs
}
