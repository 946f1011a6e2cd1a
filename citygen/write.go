package citygen

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"songnuan/bot"
	"songnuan/config"
	"songnuan/sheet"
)

// ConfigOptions are the settings the generated config carries besides its
// staff.
type ConfigOptions struct {
	// RateLimit is rate_limit_per_minute. A load test sends hundreds of
	// messages a minute from one user, which the default 60 would refuse;
	// default 1000000.
	RateLimit int
	// Now is the campaign clock's start; default 2024-01-15 09:00 CST,
	// inside the built-in schedule's visiting phase.
	Now time.Time
	// LogLevel is log_level; default info, what a production bot runs with.
	LogLevel string
}

// WriteConfig writes a bot config with the city's staff. It has no WeCom
// credentials, so the bot runs against its own fake WeCom API and `songnuan
// bench` signs with the demo credentials; the data key is the public demo
// key, which is fine for generated households and nothing else.
func (c *City) WriteConfig(w io.Writer, opt ConfigOptions) error {
	if opt.RateLimit <= 0 {
		opt.RateLimit = 1000000
	}
	if opt.Now.IsZero() {
		opt.Now = time.Date(2024, 1, 15, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	}
	if opt.LogLevel == "" {
		opt.LogLevel = "info"
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# 城市规模压测的配置，由 songnuan gen 生成（种子 %d）：%d 个居委各一名社工、%d 名领导、1 名管理员。\n",
		c.Seed, len(c.Committees), len(c.Leaders()))
	bw.WriteString("# 没有企业微信凭据：机器人用自带的模拟企业微信接口，songnuan bench 用演示凭据签名。\n")
	bw.WriteString("# data_key 是公开的演示密钥，只能用于生成的假数据。\n")
	fmt.Fprintf(bw, "now: %s\n", opt.Now.Format(time.RFC3339))
	fmt.Fprintf(bw, "data_key: %s\n", config.DemoDataKey)
	fmt.Fprintf(bw, "rate_limit_per_minute: %d\n", opt.RateLimit)
	fmt.Fprintf(bw, "log_level: %s\n", opt.LogLevel)
	bw.WriteString("staff:\n")
	for _, s := range c.Staff {
		fmt.Fprintf(bw, "  - {userid: %s, name: %s, role: %s", s.UserID, yamlString(s.Name), s.Role)
		if s.Committee != "" {
			fmt.Fprintf(bw, ", committee: %s", yamlString(s.Committee))
		}
		bw.WriteString("}\n")
	}
	return bw.Flush()
}

// yamlString quotes s for a YAML flow mapping. Generated names are plain
// Chinese, for which YAML's double-quoted form and Go's agree.
func yamlString(s string) string { return strconv.Quote(s) }

// ListHeader is the header row of a generated household list.
var ListHeader = []string{sheet.ColHead, sheet.ColSize, sheet.ColCategory, sheet.ColID, sheet.ColPhone, sheet.ColAddress, sheet.ColCommittee}

// WriteList writes committee i's household list as a .csv the way Excel
// saves one: UTF-8 with a byte-order mark.
func (c *City) WriteList(w io.Writer, i int) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("\uFEFF")
	cw := csv.NewWriter(bw)
	if err := cw.Write(ListHeader); err != nil {
		return err
	}
	for _, h := range c.Of(i) {
		if err := cw.Write([]string{h.Head, strconv.Itoa(h.Size), h.Category, h.ID, h.Phone, h.Address, h.Committee}); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// ListName is the file name of committee i's list: its number, so a
// directory listing keeps the city's order, and its name, as a committee
// names the file it sends.
func (c *City) ListName(i int) string { return fmt.Sprintf("%04d-%s.csv", i+1, c.Committees[i]) }

// Files of a written city, under the output directory.
const (
	ConfigFile = "city.yaml"
	ListDir    = "households"
)

// Write writes the city under dir: ConfigFile and one list per committee
// in ListDir.
func (c *City) Write(dir string, opt ConfigOptions) error {
	lists := filepath.Join(dir, ListDir)
	if err := os.MkdirAll(lists, 0o755); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := c.WriteConfig(&buf, opt); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), buf.Bytes(), 0o644); err != nil {
		return err
	}
	for i := range c.Committees {
		buf.Reset()
		if err := c.WriteList(&buf, i); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(lists, c.ListName(i)), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Mix counts households by 类别 cell and by size, for the generator's
// summary.
func (c *City) Mix() (byCategory map[string]int, bySize map[int]int) {
	byCategory, bySize = map[string]int{}, map[int]int{}
	for _, h := range c.Households {
		byCategory[h.Category]++
		bySize[h.Size]++
	}
	return byCategory, bySize
}

// Summary is what `songnuan gen` prints: how big the city is and its mix.
func (c *City) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d 个居委，%d 户，%d 名人员（每居委 1 名社工，%d 名领导，1 名管理员）\n",
		len(c.Committees), len(c.Households), len(c.Staff), len(c.Leaders()))
	lo, hi := len(c.Households), 0
	for i := range c.Committees {
		lo, hi = min(lo, len(c.Of(i))), max(hi, len(c.Of(i)))
	}
	fmt.Fprintf(&b, "每居委 %d–%d 户\n", lo, hi)
	cats, sizes := c.Mix()
	b.WriteString("类别：")
	for i, p := range profiles {
		if i > 0 {
			b.WriteString("，")
		}
		fmt.Fprintf(&b, "%s %.1f%%", p.category, 100*float64(cats[p.category])/float64(len(c.Households)))
	}
	b.WriteString("\n人数：")
	for n := 1; n < len(sizeWeights); n++ {
		if n > 1 {
			b.WriteString("，")
		}
		fmt.Fprintf(&b, "%d人 %.1f%%", n, 100*float64(sizes[n])/float64(len(c.Households)))
	}
	b.WriteString("\n")
	return b.String()
}

// Rows are committee i's households as the sheet reader would return
// them, for loading without files.
func (c *City) Rows(i int) []bot.ImportRow {
	hs := c.Of(i)
	rows := make([]bot.ImportRow, len(hs))
	for j, h := range hs {
		rows[j] = bot.ImportRow{Line: j + 2, Fields: map[string]string{
			sheet.ColHead: h.Head, sheet.ColSize: strconv.Itoa(h.Size), sheet.ColCategory: h.Category,
			sheet.ColID: h.ID, sheet.ColPhone: h.Phone, sheet.ColAddress: h.Address, sheet.ColCommittee: h.Committee,
		}}
	}
	return rows
}
