package bot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"songnuan/domain"
)

// maxImportRows bounds one household list; a street has a few thousand
// households, so more is a wrong file.
const maxImportRows = 50000

// ImportReport is what an import did, row by row.
type ImportReport struct {
	File      string
	Rows      int // data rows read
	Created   int
	Updated   int
	Unchanged int
	Refused   []RowProblem
}

// RowProblem is why one row was not imported, said so the user can fix it.
// It never holds an ID or phone number.
type RowProblem struct {
	Line   int
	Reason string
}

// Imported is how many rows went in (new, updated or already there).
func (r ImportReport) Imported() int { return r.Created + r.Updated + r.Unchanged }

// Text is the chat answer to an import.
func (r ImportReport) Text() string {
	ls := []string{
		fmt.Sprintf("导入 %s：共%d行，导入%d行，未导入%d行", r.File, r.Rows, r.Imported(), len(r.Refused)),
		fmt.Sprintf("新增%d户，更新%d户，没有变化%d户", r.Created, r.Updated, r.Unchanged),
	}
	if len(r.Refused) > 0 {
		ls = append(ls, "未导入的行：")
		for i, p := range r.Refused {
			if i == 10 {
				ls = append(ls, fmt.Sprintf("等另外%d行（见附件）", len(r.Refused)-10))
				break
			}
			ls = append(ls, fmt.Sprintf("第%d行：%s", p.Line, clip(p.Reason, maxReasonRunes)))
		}
		ls = append(ls, "改好后重发整个文件即可，已导入的不会重复。")
	}
	return strings.Join(ls, "\n")
}

// maxReasonRunes keeps the chat report within a phone screen (and WeCom's
// 2048 bytes); the attachment has every reason in full.
const maxReasonRunes = 45

// clip shortens s to n runes.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// ProblemsCSV lists every refused row, for a reply attachment.
func (r ImportReport) ProblemsCSV() []byte {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF") // Excel reads UTF-8 only with a BOM
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"行号", "问题"})
	for _, p := range r.Refused {
		_ = w.Write([]string{strconv.Itoa(p.Line), p.Reason})
	}
	w.Flush()
	return buf.Bytes()
}

// Import registers each row of a household list through the same parser
// and checks as 登记. Each row's change carries the OpID
// "imp:<fileHash>:<line>", and rows match existing households by ID, then
// by head, so importing a file again creates nothing new and a changed
// file updates rather than duplicates. A worker's rows must all be of
// their committee. A row the user must fix is listed in the report; an
// error return means the store failed (rows before it are in).
func (b *Bot) Import(ctx context.Context, actor domain.Staff, fileName string, rows []ImportRow, fileHash string) (ImportReport, error) {
	rep := ImportReport{File: filepath.Base(fileName), Rows: len(rows)}
	switch actor.Role {
	case domain.RoleWorker, domain.RoleAdmin:
	default:
		return rep, domain.Userf("领导账号只能查看，不能导入名单。请由居委或社区服务办发送名单文件。")
	}
	if len(rows) == 0 {
		return rep, domain.Userf("文件里没有数据行。第一行应是表头：户主 人数 类别 身份证 电话 地址 居委，从第二行起每行一户。")
	}
	if len(rows) > maxImportRows {
		return rep, domain.Userf(fmt.Sprintf("文件有%d行，超过%d行，请按居委分开导入。", len(rows), maxImportRows))
	}
	if actor.Role == domain.RoleWorker {
		if err := b.ownRowsOnly(actor, rows); err != nil {
			return rep, err
		}
	}
	// Parse and check every row first, in order, so one household listed
	// twice is refused before anything is written.
	jobs := make([]importJob, len(rows))
	person := map[string]int{} // ID hash, or committee/head of a row without ID → first line
	for i, row := range rows {
		j := &jobs[i]
		j.line = row.Line
		j.committee, j.args, j.err = b.importArgs(actor, row)
		if j.err != nil {
			continue
		}
		key := j.committee + "/" + j.args.Head
		if j.args.ID != "" {
			key = b.sealer.Hash(j.args.ID)
		}
		if first, dup := person[key]; dup {
			j.err = domain.Userf(fmt.Sprintf("与第%d行是同一户（%s），请合并成一行；如是同名的两户，请都填写身份证", first, j.args.Head))
		} else {
			person[key] = row.Line
		}
	}
	if err := b.registerJobs(ctx, actor, jobs, fileHash); err != nil {
		// The rows that went in stay in: say how many.
		for _, j := range jobs {
			if j.done && j.err == nil {
				rep.count(j.out.Kind)
			}
		}
		return rep, fmt.Errorf("import %s: %w", rep.File, err)
	}
	seen := map[string]int{} // committee/code → first line
	for _, j := range jobs {
		if j.err == nil {
			key := j.committee + "/" + j.out.Code
			if first, dup := seen[key]; dup {
				j.err = domain.Userf(fmt.Sprintf("与第%d行是同一户（%s），请合并成一行", first, j.args.Head))
			}
			seen[key] = j.line
		}
		var ue *domain.UserError
		switch {
		case errors.As(j.err, &ue):
			rep.Refused = append(rep.Refused, RowProblem{Line: j.line, Reason: rowReason(ue.Message)})
		default:
			rep.count(j.out.Kind)
		}
	}
	b.log.InfoContext(ctx, "import done", "user", actor.UserID, "file_hash", fileHash, "rows", rep.Rows,
		"created", rep.Created, "updated", rep.Updated, "unchanged", rep.Unchanged, "refused", len(rep.Refused))
	return rep, nil
}

// count adds a row that went in.
func (r *ImportReport) count(k regKind) {
	switch k {
	case regCreated:
		r.Created++
	case regUpdated:
		r.Updated++
	default:
		r.Unchanged++
	}
}

// CutShortText answers an import the store stopped part way: the rows
// that went in are kept, and the file's rows carry operation ids, so
// sending it again adds only the rest.
func (r ImportReport) CutShortText() string {
	return fmt.Sprintf("导入 %s 中断（系统故障）：共%d行，已导入%d行（新增%d户，更新%d户，没有变化%d户），其余未导入。\n"+
		"请稍后重发整个文件，已导入的不会重复。", r.File, r.Rows, r.Imported(), r.Created, r.Updated, r.Unchanged)
}

// importJob is one row on its way in.
type importJob struct {
	line      int
	committee string
	args      regArgs
	out       regOutcome
	err       error // a *domain.UserError for the row; a system error stops the import
	done      bool  // registered, or refused for the user to fix
}

// importWorkers is how many rows are registered at once: each row waits on
// a few store round trips, so a handful in flight hides the latency.
const importWorkers = 8

// registerJobs registers the rows that passed their checks, several at a
// time. Rows in flight together are different households (duplicates were
// refused before), and a clash on one household is retried as in chat.
func (b *Bot) registerJobs(ctx context.Context, actor domain.Staff, jobs []importJob, fileHash string) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range importWorkers {
		wg.Go(func() {
			for i := range next {
				j := &jobs[i]
				op := "imp:" + fileHash + ":" + strconv.Itoa(j.line)
				out, err := b.registerIn(ctx, actor, j.committee, j.args, op, op, true)
				var ue *domain.UserError
				if err != nil && !errors.As(err, &ue) {
					cancel(fmt.Errorf("line %d: %w", j.line, err))
					continue
				}
				// Only the kind and code are needed: the reply text and the
				// counters of 50,000 rows would be kept to the end for nothing.
				j.out, j.err, j.done = regOutcome{Kind: out.Kind, Code: out.Code}, err, true
			}
		})
	}
	for i := range jobs {
		if jobs[i].err != nil {
			continue
		}
		select {
		case next <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

// ownRowsOnly refuses a worker's file that lists households of another
// committee: a wrong file must not be half imported.
func (b *Bot) ownRowsOnly(actor domain.Staff, rows []ImportRow) error {
	if actor.Committee == "" {
		return domain.Userf("您的账号还没有设置居委，请联系街道社区服务办管理员。")
	}
	var bad []string
	for _, r := range rows {
		if c := strings.TrimSpace(r.Fields["居委"]); c != "" && c != actor.Committee {
			if len(bad) < 10 {
				bad = append(bad, strconv.Itoa(r.Line))
			} else if len(bad) == 10 {
				bad = append(bad, "…")
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return domain.Userf("文件中第" + strings.Join(bad, "、") + "行不是本居委（" + actor.Committee + "）的户，整份文件没有导入。请只保留本居委的行后重发。")
}

// reSciNumber is a number Excel rounded to scientific notation
// (3.10107199001011E+17): the digits are lost, so the user must retype them.
var reSciNumber = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]*)?[eE][+-]?[0-9]+$`)

// importColumns are the row fields that become 登记 tokens, with the key
// each value is given under.
var importColumns = []struct{ field, key string }{
	{"身份证", "身份证:"}, {"电话", "电话:"}, {"地址", "地址:"}, {"居委", "居委:"},
}

// importArgs turns a row into 登记 tokens and parses them as the chat does.
func (b *Bot) importArgs(actor domain.Staff, row ImportRow) (string, regArgs, error) {
	f := func(k string) string { return b.normalize(row.Fields[k]) }
	head := strings.ReplaceAll(f("户主"), " ", "")
	if head == "" {
		return "", regArgs{}, domain.Userf("户主为空，请填写户主姓名")
	}
	toks := []string{"户主:" + head}
	if size := strings.ReplaceAll(strings.TrimSpace(row.Fields["人数"]), " ", ""); size != "" {
		if !strings.ContainsAny(size, "人口户") {
			size += "人" // a bare 3 or 三 is a count of persons
		}
		toks = append(toks, b.normalize(size))
	}
	for _, c := range strings.FieldsFunc(f("类别"), func(r rune) bool { return r == ' ' || r == ',' || r == '/' || r == '+' }) {
		toks = append(toks, c)
	}
	for _, col := range importColumns {
		if v := strings.ReplaceAll(f(col.field), " ", ""); v != "" {
			toks = append(toks, col.key+v)
		}
	}
	if reSciNumber.MatchString(strings.TrimSpace(row.Fields["身份证"])) {
		return "", regArgs{}, domain.Userf("身份证号被Excel改成了科学计数法，请把身份证列设为“文本”格式后重新输入号码")
	}
	a, err := b.parseRegisterTokens(toks)
	if err != nil {
		return "", a, err
	}
	committee := a.Committee
	if actor.Role == domain.RoleWorker {
		committee = actor.Committee
	} else if committee == "" {
		return "", a, domain.Userf("居委为空，请在“居委”列填写居委名称")
	}
	return committee, a, b.knownCommittee(committee)
}

// rowReason is a row's problem without the chat format hint, which does
// not apply to a sheet.
func rowReason(s string) string {
	for _, cut := range []string{fmtRegister, "例如："} {
		if i := strings.Index(s, cut); i > 0 {
			s = s[:i]
		}
	}
	return strings.TrimRight(strings.TrimSpace(s), "。，：")
}

// handleFile imports a household list sent as a WeCom file message.
func (b *Bot) handleFile(ctx context.Context, m *msg) (Reply, error) {
	if m.staff.Role != domain.RoleWorker && m.staff.Role != domain.RoleAdmin {
		return Reply{Text: "领导账号只能查看，不能导入名单。发送“帮助”查看可用命令。"}, nil
	}
	if m.in.MsgID == "" {
		return Reply{}, errors.New("file message without MsgId")
	}
	if b.media == nil || b.readSheet == nil {
		return Reply{Text: "暂时不能导入文件，请联系社区服务办。也可以逐户发送，例如：登记 张三 低保 3人"}, nil
	}
	data, err := b.media.FetchMedia(ctx, m.in.MediaID)
	var ue *domain.UserError
	if errors.As(err, &ue) {
		return Reply{Text: ue.Message}, nil
	}
	if err != nil {
		return Reply{}, fmt.Errorf("fetch media: %w", err)
	}
	r, _, err := b.importFile(ctx, m.staff, m.in.FileName, data)
	return r, err
}

// importFile reads and imports a household list, as a file message or
// the workbench's upload brings it; the reply carries the problem rows as
// a file when they do not fit a message.
func (b *Bot) importFile(ctx context.Context, actor domain.Staff, fileName string, data []byte) (Reply, ImportReport, error) {
	sum := sha256.Sum256(data)
	rows, err := b.readSheet(fileName, data)
	var ue *domain.UserError
	if errors.As(err, &ue) {
		return Reply{Text: ue.Message}, ImportReport{}, nil
	}
	if err != nil {
		return Reply{}, ImportReport{}, fmt.Errorf("read sheet: %w", err)
	}
	rep, err := b.Import(ctx, actor, fileName, rows, hex.EncodeToString(sum[:12]))
	if errors.As(err, &ue) {
		return Reply{Text: ue.Message}, ImportReport{}, nil
	}
	if err != nil {
		// Rows may have gone in: "not recorded, try again" would be
		// wrong, and a retry by WeCom might fail the same way unseen.
		b.log.ErrorContext(ctx, "import cut short", "user", actor.UserID, "imported", rep.Imported(), "err", err)
		return Reply{Text: rep.CutShortText()}, rep, nil
	}
	r := Reply{Text: rep.Text()}
	if len(rep.Refused) > 10 || slices.ContainsFunc(rep.Refused, func(p RowProblem) bool { return utf8.RuneCountInString(p.Reason) > maxReasonRunes }) {
		r.File = &domain.File{Name: "导入问题-" + strings.TrimSuffix(rep.File, filepath.Ext(rep.File)) + ".csv", Data: rep.ProblemsCSV()}
	}
	return r, rep, nil
}
