package bot

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"songnuan/domain"
	"songnuan/redact"
)

const fmtDonation = "捐款格式：捐款 一日捐 5000元（来源写一日捐、募捐或捐款单位）"

// Limits that catch typos in a donation before they become totals.
const (
	maxDonation       = 10000000
	maxDonationSource = 20
)

var reDonationAmount = regexp.MustCompile(`^(\d+)元?$`)

// donationArgs is a parsed 捐款.
type donationArgs struct {
	Source    string
	Amount    int64
	Committee string
}

// parseDonation reads 捐款 <来源> <N>元 [居委:…].
func parseDonation(args string) (donationArgs, error) { return parseDonationAs(args, 1, fmtDonation) }

const fmtCorrectDonation = "更正格式：更正捐款 一日捐 4500元（把这个来源的累计改成4500元；写0元即删去）"

// parseDonationAs reads a donation's words with amounts from least up
// (0 for a correction), naming format in its errors.
func parseDonationAs(args string, least int64, fmtDonation string) (donationArgs, error) {
	var a donationArgs
	var src []string
	amountSet := false
	for _, tok := range tokens(args) {
		if key, _, v, ok := splitKV(tok); ok {
			if key != keyCommittee || v == "" {
				return a, domain.Userf("看不懂" + shown(tok) + "。" + fmtDonation)
			}
			a.Committee = v
			continue
		}
		if sm := reDonationAmount.FindStringSubmatch(tok); sm != nil && !amountSet {
			n, err := strconv.ParseInt(sm[1], 10, 64)
			if err != nil || n < least || n > maxDonation {
				return a, domain.Userf(fmt.Sprintf("捐款金额应在%d到%d元之间，请核对。", least, maxDonation) + fmtDonation)
			}
			a.Amount, amountSet = n, true
			continue
		}
		if redact.Contains(tok) {
			return a, domain.Userf("捐款来源里不要写身份证号或手机号。" + fmtDonation)
		}
		src = append(src, tok)
	}
	a.Source = strings.Join(src, " ")
	switch {
	case !amountSet:
		return a, domain.Userf("请写捐款金额。" + fmtDonation)
	case a.Source == "":
		return a, domain.Userf("请写捐款来源。" + fmtDonation)
	case utf8.RuneCountInString(a.Source) > maxDonationSource:
		return a, domain.Userf(fmt.Sprintf("捐款来源最多%d个字。", maxDonationSource) + fmtDonation)
	}
	return a, nil
}

// donation handles 捐款: money raised into the street's relief account,
// by a committee (its workers, or an admin naming it) or, when an admin
// names none, by the street itself. It is added exactly once per message,
// in the same atomic step as the check, so a re-delivered message cannot
// count twice.
func (b *Bot) donation(ctx context.Context, m *msg) (Reply, error) {
	a, err := parseDonation(m.args[0])
	if err != nil {
		return Reply{}, err
	}
	committee, err := b.donationScope(m, a.Committee)
	if err != nil {
		return Reply{}, err
	}
	text := fmt.Sprintf("已记录捐款：%s %d元（%s，入街道帮困专户）", a.Source, a.Amount, committee)
	ap, err := b.store.AddCountersOnce(ctx, CounterChange{
		OpID: m.opID(), Kind: ChangeDonation, Actor: m.staff.UserID, At: b.now(), Committee: committee,
		Deltas: map[string]int64{domain.CtrDonations: a.Amount, DonationSource(a.Source): a.Amount},
		Result: text,
		Audit:  fmt.Sprintf("%s(%s) 捐款 %s %d元；MsgId=%s", m.staff.Name, m.staff.UserID, a.Source, a.Amount, m.in.MsgID),
	})
	if err != nil {
		return Reply{}, fmt.Errorf("record donation in %s: %w", committee, err)
	}
	return Reply{Text: lines(ap.Result,
		fmt.Sprintf("%s累计捐款 %d元：%s", committee, ap.Counters[domain.CtrDonations], donationSources(ap.Counters)),
	)}, nil
}

// correctDonation handles 更正捐款 <来源> <N>元: a donation recorded with
// the wrong amount is put right by setting its source's total in the
// committee (or the street's) to N, the difference added to the
// committee's total too. 0 removes the source. Keyed by the message, so
// a re-delivery changes nothing more. (A 捐款 to the same source at the
// same instant may be counted into the correction's difference; the
// audit stream shows both.)
func (b *Bot) correctDonation(ctx context.Context, m *msg) (Reply, error) {
	a, err := parseDonationAs(m.args[0], 0, fmtCorrectDonation)
	if err != nil {
		return Reply{}, err
	}
	committee, err := b.donationScope(m, a.Committee)
	if err != nil {
		return Reply{}, err
	}
	ctr, err := b.store.Counters(ctx, committee)
	if err != nil {
		return Reply{}, fmt.Errorf("read counters %s: %w", committee, err)
	}
	was, ok := ctr[DonationSource(a.Source)]
	if !ok || was == 0 {
		known := donationSources(ctr)
		if known == "" {
			known = "还没有记录捐款"
		}
		return Reply{}, domain.Userf(fmt.Sprintf("%s没有来源为“%s”的捐款，已记录的：%s。", committee, a.Source, known) + fmtCorrectDonation)
	}
	text := fmt.Sprintf("已更正捐款：%s %d元→%d元（%s）", a.Source, was, a.Amount, committee)
	deltas := map[string]int64{domain.CtrDonations: a.Amount - was, DonationSource(a.Source): a.Amount - was}
	if a.Amount == was {
		text = fmt.Sprintf("%s的捐款“%s”已是%d元，不用更正。", committee, a.Source, was)
		deltas = nil
	}
	ap, err := b.store.AddCountersOnce(ctx, CounterChange{
		OpID: m.opID(), Kind: ChangeDonationFix, Actor: m.staff.UserID, At: b.now(), Committee: committee,
		Deltas: deltas,
		Result: text,
		Audit:  fmt.Sprintf("%s(%s) 更正捐款 %s %d元→%d元；MsgId=%s", m.staff.Name, m.staff.UserID, a.Source, was, a.Amount, m.in.MsgID),
	})
	if err != nil {
		return Reply{}, fmt.Errorf("correct donation in %s: %w", committee, err)
	}
	return Reply{Text: lines(ap.Result,
		fmt.Sprintf("%s累计捐款 %d元：%s", committee, ap.Counters[domain.CtrDonations], donationSources(ap.Counters)),
	)}, nil
}

// donationScope is whose donations a 捐款 or 更正捐款 changes: the
// sender's committee for a worker, the one an admin names, or else the
// street's own.
func (b *Bot) donationScope(m *msg, named string) (string, error) {
	if m.staff.Role == domain.RoleWorker || named != "" {
		return b.changeScope(m.staff, named)
	}
	return StreetCommittee, nil
}
