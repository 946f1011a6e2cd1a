package web

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"songnuan/bot"
	"songnuan/domain"
)

// reOp is a form's one-time token as render makes it.
var reOp = regexp.MustCompile(`^[0-9a-f]{32}$`)

// run runs a chat command for the page. The form's one-time token keys
// it, so a second tap, a reload or a retry of the same form applies
// nothing more and answers the same. ok is false when an error page was
// written.
func (srv *Server) run(c *gin.Context, command string) (bot.Reply, bool) {
	st := staffOf(c)
	op := c.PostForm("_op")
	if !reOp.MatchString(op) {
		srv.problem(c, http.StatusBadRequest, "页面已过期", "请返回，刷新页面后重新提交。", "")
		return bot.Reply{}, false
	}
	rep, err := srv.src.Run(ctx(c), st.UserID, command, op)
	if err != nil {
		srv.fail(c, err, "")
		return bot.Reply{}, false
	}
	return rep, true
}

// field is a form value made safe to put in a command: trimmed, with its
// inner spaces (which separate a command's words) closed up.
func field(c *gin.Context, name string) string {
	return strings.Join(strings.Fields(c.PostForm(name)), "")
}

// list is a free-text form value whose words are kept apart with a
// middle dot: chat splits a command's words at spaces, commas and 、.
func list(c *gin.Context, name string) string {
	f := strings.FieldsFunc(c.PostForm(name), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",，、；;。", r)
	})
	return strings.Join(f, "·")
}

// postVisit records a visit: 走访 编号… 发放…元 物品:… 日期:… 居委:….
func (srv *Server) postVisit(c *gin.Context) {
	st := staffOf(c)
	committee, code := field(c, "committee"), field(c, "code")
	cmd := []string{"走访", "编号" + code}
	if paid := field(c, "paid"); paid != "" {
		cmd = append(cmd, "发放"+strings.TrimSuffix(paid, "元")+"元")
	}
	if goods := list(c, "goods"); goods != "" {
		cmd = append(cmd, "物品:"+goods)
	}
	if v := field(c, "visitor"); v != "" && v != "居委" {
		cmd = append(cmd, "走访人:"+v)
	}
	if d := field(c, "date"); d != "" {
		cmd = append(cmd, "日期:"+d)
	}
	if st.Role == domain.RoleAdmin {
		cmd = append(cmd, "居委:"+committee)
	}
	rep, ok := srv.run(c, strings.Join(cmd, " "))
	if !ok {
		return
	}
	srv.setFlash(c, flashOf(rep))
	c.Redirect(http.StatusSeeOther, householdURL(committee, code))
}

// postRegister registers a household: 登记 户主 类别… N人 身份证:… ….
func (srv *Server) postRegister(c *gin.Context) {
	st := staffOf(c)
	cmd := []string{"登记", field(c, "head")}
	kinds := map[string]bot.CategoryForm{}
	for _, k := range srv.src.RegisterCategories() {
		kinds[k.Name] = k
	}
	for _, name := range c.PostFormArray("cat") {
		name = strings.Join(strings.Fields(name), "")
		if name == "" {
			continue
		}
		word := name // 特困供养1人, 妇联1人800元: the chat's spelling
		if n := field(c, "n_"+name); kinds[name].PerPerson && n != "" && n != "0" {
			word += n + "人"
		}
		if amt := field(c, "amt_"+name); kinds[name].TakesAmount && amt != "" {
			word += strings.TrimSuffix(amt, "元") + "元"
		}
		cmd = append(cmd, word)
	}
	if size := field(c, "size"); size != "" {
		cmd = append(cmd, strings.TrimSuffix(size, "人")+"人")
	}
	for _, kv := range [][2]string{{"id", "身份证"}, {"phone", "电话"}, {"address", "地址"}} {
		if v := field(c, kv[0]); v != "" {
			cmd = append(cmd, kv[1]+":"+v)
		}
	}
	committee := st.Committee
	if st.Role == domain.RoleAdmin {
		committee = field(c, "committee")
		cmd = append(cmd, "居委:"+committee)
	}
	rep, ok := srv.run(c, strings.Join(cmd, " "))
	if !ok {
		return
	}
	f := flashOf(rep)
	if !f.OK {
		// the same answer chat gives, above the form as it was filled in
		form := url.Values{}
		for k, v := range c.Request.PostForm {
			if k != "_csrf" && k != "_op" && k != "id" && k != "phone" {
				form[k] = v
			}
		}
		srv.renderRegisterFlash(c, form, f)
		return
	}
	srv.setFlash(c, f)
	c.Redirect(http.StatusSeeOther, committeeURL(committee))
}

// renderRegisterFlash shows the form again with the bot's answer.
func (srv *Server) renderRegisterFlash(c *gin.Context, form url.Values, f flash) {
	c.Set(keyFlash, &f)
	srv.renderRegister(c, http.StatusUnprocessableEntity, form)
}

// postUndo undoes the user's last registration or visit: 撤销.
func (srv *Server) postUndo(c *gin.Context) {
	rep, ok := srv.run(c, "撤销")
	if !ok {
		return
	}
	srv.setFlash(c, flashOf(rep))
	c.Redirect(http.StatusSeeOther, backTo(c))
}

// backTo is the form's return page, if it is one of ours.
func backTo(c *gin.Context) string {
	if b := c.PostForm("back"); strings.HasPrefix(b, "/app/") {
		return b
	}
	return "/app/"
}

// postImport imports an uploaded household list and shows each refused
// row, with the problem file to download.
func (srv *Server) postImport(c *gin.Context) {
	st := staffOf(c)
	fh, err := c.FormFile("file")
	if err != nil {
		srv.renderOffice(c, http.StatusUnprocessableEntity, officeData{Import: &importResult{Text: "请选择要导入的名单文件（.xlsx 或 .csv，列：户主 人数 类别 身份证 电话 地址 居委）"}})
		return
	}
	f, err := fh.Open()
	if err != nil {
		srv.fail(c, err, "/app/office")
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxUpload+1))
	if err != nil || len(data) > maxUpload {
		srv.problem(c, http.StatusBadRequest, "文件太大", "名单文件请小于20MB，可以分成几个文件导入。", "/app/office")
		return
	}
	rep, report, err := srv.src.ImportFile(ctx(c), st.UserID, fh.Filename, data)
	if err != nil {
		srv.fail(c, err, "/app/office")
		return
	}
	res := &importResult{Report: report, Text: rep.Text}
	if len(report.Refused) > 0 {
		res.Problems = string(report.ProblemsCSV())
	}
	srv.renderOffice(c, http.StatusOK, officeData{Import: res})
}

// postProblems downloads an import's problem rows. The result page posts
// them back (see office.html), so the server keeps nothing between the
// upload and the download, whichever instance serves it.
func (srv *Server) postProblems(c *gin.Context) {
	attachment(c, "导入问题.csv", "text/csv; charset=utf-8", []byte(c.PostForm("csv")))
}

// postBroadcast previews a broadcast: 广播 … 对象:…. The bot keeps it
// until 确认.
func (srv *Server) postBroadcast(c *gin.Context) {
	text := strings.Join(strings.Fields(c.PostForm("text")), " ")
	cmd := "广播 " + text
	if to := field(c, "to"); to != "" {
		cmd += " 对象:" + to
	}
	rep, ok := srv.run(c, cmd)
	if !ok {
		return
	}
	d := officeData{Broadcast: url.Values{"text": {c.PostForm("text")}, "to": {c.PostForm("to")}}}
	f := flashOf(rep)
	if f.OK {
		d.Preview = f.Text
	} else {
		c.Set(keyFlash, &f)
	}
	srv.renderOffice(c, http.StatusOK, d)
}

// postConfirm sends or drops the broadcast awaiting 确认.
func (srv *Server) postConfirm(c *gin.Context) {
	cmd := "取消"
	if c.PostForm("action") == "send" {
		cmd = "确认"
	}
	rep, ok := srv.run(c, cmd)
	if !ok {
		return
	}
	srv.setFlash(c, flashOf(rep))
	c.Redirect(http.StatusSeeOther, "/app/office")
}

// postExport downloads the statistics table: 导出, or 导出 完整 for an
// admin, which the bot audits before it builds the file.
func (srv *Server) postExport(c *gin.Context) {
	cmd := "导出"
	if c.PostForm("full") == "1" {
		cmd = "导出 完整"
	}
	rep, ok := srv.run(c, cmd)
	if !ok {
		return
	}
	if rep.File == nil {
		srv.setFlash(c, flashOf(rep))
		c.Redirect(http.StatusSeeOther, "/app/office")
		return
	}
	attachment(c, rep.File.Name, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", rep.File.Data)
}

// attachment sends data as a download named name.
func attachment(c *gin.Context, name, contentType string, data []byte) {
	c.Header("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
	c.Data(http.StatusOK, contentType, data)
}

func (srv *Server) renderOffice(c *gin.Context, status int, d officeData) {
	d.Admin = staffOf(c).Role == domain.RoleAdmin
	srv.render(c, status, "office", page{Title: "社区服务办", Nav: "office", Data: d})
}

// flash is a command's answer shown on the next page.
type flash struct {
	OK   bool // the change was made (or was made before)
	Text string
}

const keyFlash = "web.flash"

// flashOf turns a reply into a flash: a refusal (a mistake to fix) is
// shown as one.
func flashOf(rep bot.Reply) flash {
	text := rep.Text
	if text == "" {
		text = rep.Markdown
	}
	return flash{OK: !rep.Refused, Text: text}
}

// maxFlashBytes keeps the flash cookie under browsers' 4 KiB per cookie
// once signed and encoded.
const maxFlashBytes = 2400

// setFlash keeps f for the next page in a short signed cookie.
func (srv *Server) setFlash(c *gin.Context, f flash) {
	v := "0"
	if f.OK {
		v = "1"
	}
	text := f.Text
	for len(text) > maxFlashBytes {
		r := []rune(text)
		text = string(r[:len(r)*9/10]) + "…"
	}
	srv.setCookie(c, flashCookie, srv.sign.sign("flash", v+text), time.Minute)
}

// takeFlash returns and clears the flash a POST left, if any.
func (srv *Server) takeFlash(c *gin.Context) *flash {
	if v, ok := c.Get(keyFlash); ok {
		return v.(*flash)
	}
	raw, err := c.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	srv.clearCookie(c, flashCookie)
	v, ok := srv.sign.open("flash", raw)
	if !ok || v == "" {
		return nil
	}
	return &flash{OK: v[0] == '1', Text: v[1:]}
}
