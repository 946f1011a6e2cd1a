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
func parseDonation(args string) (donationArgs, error) {
	var a donationArgs
	var src []string
	for _, tok := range tokens(args) {
		if key, _, v, ok := splitKV(tok); ok {
			if key != keyCommittee || v == "" {
				return a, domain.Userf("看不懂" + shown(tok) + "。" + fmtDonation)
			}
			a.Committee = v
			continue
		}
		if sm := reDonationAmount.FindStringSubmatch(tok); sm != nil && a.Amount == 0 {
			n, err := strconv.ParseInt(sm[1], 10, 64)
			if err != nil || n <= 0 || n > maxDonation {
				return a, domain.Userf(fmt.Sprintf("捐款金额应在1到%d元之间，请核对。", maxDonation) + fmtDonation)
			}
			a.Amount = n
			continue
		}
		if redact.Contains(tok) {
			return a, domain.Userf("捐款来源里不要写身份证号或手机号。" + fmtDonation)
		}
		src = append(src, tok)
	}
	a.Source = strings.Join(src, " ")
	switch {
	case a.Amount == 0:
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
	committee := StreetCommittee
	if m.staff.Role == domain.RoleWorker || a.Committee != "" {
		if committee, err = b.changeScope(m.staff, a.Committee); err != nil {
			return Reply{}, err
		}
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
