package bot

import (
	"context"
	"slices"
	"sort"
	"strings"

	"songnuan/domain"
)

// msgOtherCommittee refuses a request about another committee. It is the
// same whether or not the household exists there, so it reveals nothing.
func msgOtherCommittee(st domain.Staff) error {
	return domain.Userf("您只能办理本居委（" + st.Committee + "）的帮困对象，其他居委的请联系该居委或社区服务办。")
}

// changeScope is the committee a change by st is about: a worker's own,
// or the one an admin names.
func (b *Bot) changeScope(st domain.Staff, named string) (string, error) {
	switch st.Role {
	case domain.RoleWorker:
		if st.Committee == "" {
			return "", domain.Userf("您的账号还没有设置居委，请联系街道社区服务办管理员。")
		}
		if named != "" && named != st.Committee {
			return "", msgOtherCommittee(st)
		}
		return st.Committee, nil
	case domain.RoleAdmin:
		if named == "" {
			return "", domain.Userf("管理员办理时请写明居委，例如：登记 张三 低保 3人 居委:" + b.exampleCommittee())
		}
		return named, b.knownCommittee(named)
	}
	return "", domain.Userf("领导账号只能查看，不能登记、走访或撤销。发送“帮助”查看可用命令。")
}

// readScope lists the committees a read by st may cover: a worker's own;
// for leaders and admins the named one, or every committee when none is
// named.
func (b *Bot) readScope(ctx context.Context, st domain.Staff, named string) ([]string, error) {
	if st.Role == domain.RoleWorker {
		c, err := b.changeScope(st, named)
		if err != nil {
			return nil, err
		}
		return []string{c}, nil
	}
	if named != "" {
		return []string{named}, b.knownCommittee(named)
	}
	all := slices.Clone(b.committees)
	ctrs, err := b.store.AllCounters(ctx)
	if err != nil {
		return nil, err
	}
	for c := range committeeOnly(ctrs) {
		if !slices.Contains(all, c) {
			all = append(all, c)
		}
	}
	sort.Strings(all)
	return all, nil
}

// knownCommittee refuses a committee name that no staff member belongs to,
// which is almost always a typo; with no workers configured any name goes.
func (b *Bot) knownCommittee(c string) error {
	if len(b.committees) == 0 || slices.Contains(b.committees, c) {
		return nil
	}
	list := b.committees
	more := ""
	if len(list) > 8 {
		list, more = list[:8], "等"
	}
	return domain.Userf("没有名为“" + c + "”的居委。已有：" + strings.Join(list, "、") + more + "。例如：居委:" + b.committees[0])
}

func (b *Bot) exampleCommittee() string {
	if len(b.committees) > 0 {
		return b.committees[0]
	}
	return "甘泉一村"
}
