package domain

import "time"

// Role is what a staff member may do.
type Role string

// The three roles of the campaign.
const (
	RoleWorker Role = "worker" // 社工/居委干部: one committee's households
	RoleLeader Role = "leader" // 街道/科办领导: reads everything
	RoleAdmin  Role = "admin"  // 社区服务办 管理员: everything
)

// Staff is one registered user of the bot.
type Staff struct {
	UserID    string
	Name      string
	Role      Role
	Committee string // 居委会; required for workers
}

// Directory finds staff by WeCom userid.
type Directory map[string]Staff

// Lookup returns the staff member with the given userid.
func (d Directory) Lookup(userID string) (Staff, bool) {
	s, ok := d[userID]
	return s, ok
}

// Clock returns the campaign time. Tests and demos inject a fixed one.
type Clock func() time.Time
