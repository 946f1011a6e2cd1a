package broadcasttest

import (
	"slices"
	"strings"

	"songnuan/broadcast"
	"songnuan/domain"
	"songnuan/schedule"
)

// Staff returns the recipients of the runner tests: a worker in each of
// three committees, a leader and the office's admin. Each call returns a
// fresh slice.
func Staff() []broadcast.Recipient {
	return []broadcast.Recipient{
		{UserID: "wang", Name: "王芳", Role: domain.RoleWorker, Committee: "甘泉一村"},
		{UserID: "li", Name: "李强", Role: domain.RoleWorker, Committee: "甘泉二村"},
		{UserID: "zhang", Name: "张敏", Role: domain.RoleWorker, Committee: "甘泉三村"},
		{UserID: "zhao", Name: "赵书记", Role: domain.RoleLeader},
		{UserID: "admin", Name: "社区服务办", Role: domain.RoleAdmin},
	}
}

// Counters returns the committees' counters the runner tests read:
// 甘泉二村 has visited everyone and paid in full, the other two have
// households to visit and money to pay. Each call returns fresh maps.
func Counters() map[string]domain.Counters {
	return map[string]domain.Counters{
		"甘泉一村": {domain.CtrHouseholds: 10, domain.CtrVisited: 7, domain.CtrShort: 300},
		"甘泉二村": {domain.CtrHouseholds: 8, domain.CtrVisited: 8},
		"甘泉三村": {domain.CtrHouseholds: 5, domain.CtrVisited: 5, domain.CtrShort: 200},
	}
}

// ExpectedDefault lists, sorted, the ledger id of every delivery the
// built-in schedule s makes to Staff with Counters: each announcement to
// the staff of its roles, except the only_if_open visit reminders to
// 甘泉二村, which has no visit left. Plan, list and summary reminders go
// everywhere: nobody reported them, so they are open in every committee.
func ExpectedDefault(s *schedule.Schedule) []string {
	var out []string
	for _, o := range s.Occurrences() {
		for _, rc := range Staff() {
			if !slices.Contains(o.To.Roles, rc.Role) {
				continue
			}
			if o.OnlyIfOpen && rc.Committee == "甘泉二村" && strings.HasPrefix(o.Announcement, "visits-") {
				continue
			}
			out = append(out, o.ID+"/u/"+rc.UserID)
		}
	}
	slices.Sort(out)
	return out
}
