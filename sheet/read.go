package sheet

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"

	"songnuan/bot"
	"songnuan/domain"
)

// Limits on an uploaded list. A street has a few thousand households; the
// caps only stop a wrong or hostile file from tying up the bot.
const (
	MaxRows  = 50000    // data rows (blank rows not counted)
	MaxBytes = 20 << 20 // file size
	// headerScan is how many rows from the top may hold the header: forms
	// usually carry a title and a date line above it.
	headerScan = 10
)

// User-facing messages. Each says what to send instead.
var (
	msgWrongType = "请发送 .xlsx 或 .csv 文件，第一行为表头：" + strings.Join(Columns, "、")
	msgOldXLS    = "这是旧版 .xls 文件（或设了密码的表格）：请在 Excel 中“另存为” .xlsx 后再发送，表头：" + strings.Join(Columns, "、")
	msgBroken    = "文件打不开，可能已损坏：请在 Excel 中重新保存为 .xlsx 或 .csv 后再发送，表头：" + strings.Join(Columns, "、")
	msgNoHeader  = "前10行里没有找到表头“户主”：请把第一行表头写成 " + strings.Join(Columns, "、") + "（户主也可写作 姓名、户主姓名、申请人）"
	msgTooBig    = domain.MsgFileTooLarge
	msgTooMany   = "超过 5 万行：请按居委拆成几个文件分别发送，每个不超过 5 万行"
)

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// ReadRows turns an uploaded household list into rows keyed by the
// canonical column names (see Columns). It satisfies bot.SheetReader.
//
// The file type is taken from the content where it is unambiguous (an
// .xlsx is a zip archive, an old .xls an OLE container) and from the name
// otherwise. In an .xlsx the first sheet with a header row is read; a .csv
// may be UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030.
//
// The header is the first row among the first ten that names 户主 or an
// alias; other columns are matched by alias and unknown ones ignored. Each
// row's Line is its row number as Excel shows it, so a reply saying 第5行
// points at the row the worker sees. Blank rows and 合计/小计 rows are
// skipped; every value is trimmed. Only the columns the header names appear
// in Fields.
//
// ID numbers that Excel has stored as numbers have lost their last digits
// (Excel keeps 15 significant digits; 310107199001011234 becomes
// 3.10107199001011E+17). Such a value is never "repaired": a numeric ID cell
// is passed on in scientific notation, as is an ID already written that way
// in a .csv, so it cannot pass an ID-number check and the row is reported.
// NumericID recognises the form so the reply can say why.
//
// The whole file is refused with a *domain.UserError when it is not a
// spreadsheet, cannot be opened, has no header row, is over MaxBytes or has
// over MaxRows data rows.
func ReadRows(fileName string, data []byte) ([]bot.ImportRow, error) {
	if len(data) > MaxBytes {
		return nil, domain.Userf(msgTooBig)
	}
	ext := strings.ToLower(filepath.Ext(strings.TrimSpace(fileName)))
	switch {
	case bytes.HasPrefix(data, oleMagic), ext == ".xls" || ext == ".et":
		return nil, domain.Userf(msgOldXLS)
	case bytes.HasPrefix(data, zipMagic):
		if ext != ".xlsx" && ext != ".xlsm" && ext != "" {
			return nil, domain.Userf(msgWrongType)
		}
		return readXLSX(data)
	case ext == ".xlsx" || ext == ".xlsm":
		return nil, domain.Userf(msgBroken)
	case ext == ".csv":
		return readCSV(data)
	}
	return nil, domain.Userf(msgWrongType)
}

// var _ keeps ReadRows in step with the contract bot codes against.
var _ bot.SheetReader = ReadRows

var sciRe = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]*)?[eE][+-]?[0-9]+$`)

// NumericID reports whether an ID value read by ReadRows is a number Excel
// rounded (scientific notation, e.g. 3.10107199001011E+17), so validation
// can tell the worker to format the column as text and type the numbers
// again rather than just "ID number invalid".
func NumericID(v string) bool { return sciRe.MatchString(v) }

// rowSink collects data rows under a header, applying the per-row rules
// shared by both formats.
type rowSink struct {
	hdr  headerMap
	rows []bot.ImportRow
}

// add records the data row at sheet row line. cell returns the trimmed
// value of the canonical column at the given index. It returns a
// *domain.UserError once the row cap is passed.
func (s *rowSink) add(line int, cell func(canon string, idx int) string) error {
	fields := make(map[string]string, len(s.hdr))
	blank := true
	for canon, idx := range s.hdr {
		v := cell(canon, idx)
		if v != "" {
			blank = false
		}
		fields[canon] = v
	}
	if blank || isTotalRow(fields[ColHead]) {
		return nil
	}
	if len(s.rows) >= MaxRows {
		return domain.Userf(msgTooMany)
	}
	s.rows = append(s.rows, bot.ImportRow{Line: line, Fields: fields})
	return nil
}

// isTotalRow reports a 合计 line at the foot of a list, which is no
// household and would otherwise come back as a row with errors.
func isTotalRow(head string) bool {
	switch normHeader(head) {
	case "合计", "总计", "小计", "共计":
		return true
	}
	return false
}

// cleanCell trims a data cell. Besides spaces it drops the zero-width and
// BOM characters systems leave behind, and unwraps ="…", the trick people
// use to keep Excel from turning an ID number into a number in a .csv.
func cleanCell(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool {
		return r == '\u200b' || r == '\ufeff' || r == '\u00a0' || r == '\u3000' || r <= ' '
	})
	if len(s) > 3 && strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) {
		s = strings.TrimSpace(s[2 : len(s)-1])
	}
	return s
}
