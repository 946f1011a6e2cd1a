package web

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"songnuan/bot"
	"songnuan/domain"
)

// home sends each role to its own first page: a worker to their
// committee, leaders and admins to the street.
func (srv *Server) home(c *gin.Context) {
	st := staffOf(c)
	if st.Role == domain.RoleWorker {
		c.Redirect(http.StatusFound, committeeURL(st.Committee))
		return
	}
	srv.street(c)
}

func committeeURL(name string) string { return "/app/c/" + url.PathEscape(name) }

func householdURL(committee, code string) string {
	return committeeURL(committee) + "/h/" + url.PathEscape(code)
}

// streetData is the street page.
type streetData struct {
	S          bot.StreetStats
	Daily      []bot.DayPoint
	DailyOff   bool // too many committees to read the daily line
	Categories []string
	Chart      []bot.CommitteeStats // the worst maxBars committees
	Table      []bot.CommitteeStats // the worst maxRows committees
}

// A city has thousands of committees: the chart and the table show the
// worst, and the rest are one tap away through 待办 and each committee.
const (
	maxBars = 30
	maxRows = 100
)

// street is the leaders' page: the street at a glance.
func (srv *Server) street(c *gin.Context) {
	st := staffOf(c)
	if st.Role == domain.RoleWorker {
		c.Redirect(http.StatusFound, committeeURL(st.Committee))
		return
	}
	cat := c.Query("cat")
	s, err := srv.src.StreetStats(ctx(c), st.UserID, cat)
	if err != nil {
		srv.fail(c, err, "")
		return
	}
	daily, err := srv.src.Daily(ctx(c), st.UserID, "")
	if err != nil {
		srv.fail(c, err, "")
		return
	}
	var cats []string
	for _, m := range s.Categories {
		cats = append(cats, m.Name)
	}
	d := streetData{S: s, Daily: daily, DailyOff: daily == nil, Categories: cats,
		Chart: s.Committees[:min(len(s.Committees), maxBars)], Table: s.Committees[:min(len(s.Committees), maxRows)]}
	srv.render(c, http.StatusOK, "street", page{Title: "全街道进度", Nav: "home", Data: d})
}

// committeeData is a committee's page.
type committeeData struct {
	V        bot.CommitteeView
	Name     string
	Search   string
	Daily    []bot.DayPoint
	CanWrite bool
	Counts   map[string]int // households by state
}

// committee is one committee: its numbers, its households with their
// state and a search by name, and its tasks.
func (srv *Server) committee(c *gin.Context) {
	st := staffOf(c)
	name := c.Param("committee")
	v, err := srv.src.CommitteeView(ctx(c), st.UserID, name, c.Query("q"))
	if err != nil {
		srv.fail(c, err, "/app/")
		return
	}
	counts := map[string]int{}
	for _, h := range v.Households {
		counts[h.State]++
	}
	back := ""
	if st.Role != domain.RoleWorker {
		back = "/app/"
	}
	srv.render(c, http.StatusOK, "committee", page{Title: name, Nav: "home", Back: back, Data: committeeData{
		V: v, Name: name, Search: c.Query("q"), Daily: v.Daily, CanWrite: canWrite(st, name), Counts: counts}})
}

// canWrite reports whether st may change households of committee: a
// worker their own, an admin any. The bot checks again.
func canWrite(st domain.Staff, committee string) bool {
	return st.Role == domain.RoleAdmin || st.Role == domain.RoleWorker && st.Committee == committee
}

// householdData is a household's page.
type householdData struct {
	H        bot.HouseholdView
	CanWrite bool
	Today    string
}

// household is one household: entitlement item by item, visits, masked
// numbers, and the visit form with what is owed filled in.
func (srv *Server) household(c *gin.Context) {
	st := staffOf(c)
	name, code := c.Param("committee"), c.Param("code")
	h, err := srv.src.HouseholdView(ctx(c), st.UserID, name, code)
	if err != nil {
		srv.fail(c, err, committeeURL(name))
		return
	}
	srv.render(c, http.StatusOK, "household", page{Title: h.Head, Nav: "home", Back: committeeURL(name), Data: householdData{
		H: h, CanWrite: canWrite(st, name), Today: srv.today()}})
}

// todoData is the 待办 page.
type todoData struct {
	Committees []todoCommittee
}

type todoCommittee struct {
	Name       string
	V          bot.CommitteeView
	Unvisited  []bot.HouseholdRow
	Short      []bot.HouseholdRow
	OverdueAny bool
}

// todo is what is left: a worker's committee, or for leaders and admins
// every committee that has overdue tasks or households left, worst first.
func (srv *Server) todo(c *gin.Context) {
	st := staffOf(c)
	var names []string
	if st.Role == domain.RoleWorker {
		names = []string{st.Committee}
	} else if c.Query("c") != "" {
		names = []string{c.Query("c")}
	} else {
		s, err := srv.src.StreetStats(ctx(c), st.UserID, "")
		if err != nil {
			srv.fail(c, err, "")
			return
		}
		for _, cs := range s.Committees {
			if len(cs.Overdue) > 0 || cs.Visited < cs.Households || cs.Short > 0 {
				names = append(names, cs.Name)
			}
			if len(names) == 12 {
				break
			}
		}
	}
	var d todoData
	for _, n := range names {
		v, err := srv.src.CommitteeView(ctx(c), st.UserID, n, "")
		if err != nil {
			srv.fail(c, err, "/app/")
			return
		}
		tc := todoCommittee{Name: n, V: v}
		for _, h := range v.Households {
			switch h.State {
			case bot.StateUnvisited:
				tc.Unvisited = append(tc.Unvisited, h)
			case bot.StateShort:
				tc.Short = append(tc.Short, h)
			}
		}
		tc.OverdueAny = slices.ContainsFunc(v.Tasks, func(t bot.TaskView) bool { return t.Overdue })
		d.Committees = append(d.Committees, tc)
	}
	srv.render(c, http.StatusOK, "todo", page{Title: "待办", Nav: "todo", Data: d})
}

// registerData is the registration form.
type registerData struct {
	Categories []bot.CategoryForm
	Committees []string // for admins, who must name one
	Form       url.Values
}

// registerForm is the registration form: the policy's categories to tick,
// persons, and the optional numbers and address.
func (srv *Server) registerForm(c *gin.Context) {
	st := staffOf(c)
	if st.Role == domain.RoleLeader {
		srv.problem(c, http.StatusForbidden, "领导账号只能查看", "登记请由居委社工或社区服务办办理。", "/app/")
		return
	}
	srv.renderRegister(c, http.StatusOK, url.Values{})
}

func (srv *Server) renderRegister(c *gin.Context, status int, form url.Values) {
	st := staffOf(c)
	d := registerData{Form: form, Categories: srv.src.RegisterCategories()}
	if st.Role == domain.RoleAdmin {
		cs, err := srv.src.Committees(ctx(c), st.UserID)
		if err != nil {
			srv.fail(c, err, "/app/")
			return
		}
		d.Committees = cs
	}
	srv.render(c, status, "register", page{Title: "登记帮困对象", Nav: "register", Data: d})
}

// officeData is the office page.
type officeData struct {
	Admin      bool
	Import     *importResult
	Preview    string // a broadcast awaiting 确认
	Broadcast  url.Values
	Committees []string
}

// importResult is an upload's outcome.
type importResult struct {
	Report   bot.ImportReport
	Text     string
	Problems string // the problem rows as CSV, for the download form
}

// office is the office's tools: import, broadcast, export. Leaders get
// the export only.
func (srv *Server) office(c *gin.Context) {
	st := staffOf(c)
	if st.Role == domain.RoleWorker {
		srv.problem(c, http.StatusForbidden, "这一页属于社区服务办", "导入名单可以在企业微信里直接发送文件；登记请用“登记”页。", committeeURL(st.Committee))
		return
	}
	srv.render(c, http.StatusOK, "office", page{Title: "社区服务办", Nav: "office", Data: officeData{Admin: st.Role == domain.RoleAdmin}})
}

// today is the campaign date a visit form starts with.
func (srv *Server) today() string { return srv.cfg.Campaign().In(cst).Format("2006-01-02") }

// cst is Shanghai time, the campaign's.
var cst = time.FixedZone("CST", 8*3600)
