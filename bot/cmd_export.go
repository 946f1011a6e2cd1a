package bot

import (
	"context"
	"fmt"

	"songnuan/domain"
)

// export handles 导出 (statistics table, numbers masked) and 导出 完整
// (whole ID and phone numbers, admins only). The full export is written to
// the audit log before the table is built, so no full copy ever leaves
// without a record of who took it, when, and by which message.
func (b *Bot) export(ctx context.Context, m *msg) (Reply, error) {
	full := false
	switch m.args[0] {
	case "":
	case "完整", "全部号码", "完整号码", "明文":
		full = true
	default:
		return Reply{}, domain.Userf("导出格式：导出（身份证号、电话打码），管理员可发送：导出 完整")
	}
	if full && m.staff.Role != domain.RoleAdmin {
		return Reply{}, domain.Userf("只有社区服务办管理员能导出完整的身份证号和电话。请发送：导出（号码打码）")
	}
	if b.exporter == nil {
		return Reply{}, domain.Userf("本机器人没有开启导出，请联系社区服务办管理员。")
	}
	if full {
		err := b.store.AddAudit(ctx, AuditEntry{
			Committee: StreetCommittee, Kind: ChangeExport, Actor: m.staff.UserID, At: b.now(), OpID: m.opID(),
			Detail: fmt.Sprintf("%s(%s) 导出完整统计表（含完整身份证号和电话）；MsgId=%s", m.staff.Name, m.staff.UserID, m.in.MsgID),
		})
		if err != nil {
			return Reply{}, fmt.Errorf("audit full export: %w", err)
		}
	}
	f, err := b.exporter(ctx, full)
	if err != nil {
		return Reply{}, fmt.Errorf("build statistics table: %w", err)
	}
	text := "统计表已生成（身份证号、电话已打码），见下面的文件。各项合计与“进度”一致。"
	if full {
		text = "统计表已生成，含完整身份证号和电话，本次导出已记入审计。请妥善保管，不要转发到群里。"
	}
	return Reply{Text: text, File: f}, nil
}
