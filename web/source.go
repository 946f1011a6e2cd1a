package web

import (
	"context"
	"time"

	"songnuan/bot"
	"songnuan/domain"
)

// Source is everything the pages read and do. Reads are masked views
// scoped to the user as the chat scopes them; every change is a chat
// command run through Run, so a page and a chat message are one operation.
type Source interface {
	// Member returns the staff member with userID; false for a stranger.
	Member(userID string) (domain.Staff, bool)
	// StreetStats is the street at a glance, for leaders and admins.
	StreetStats(ctx context.Context, userID, category string) (bot.StreetStats, error)
	// Daily is visits and money per day in the committee ("" for all the
	// user may read); nil when there are too many committees to read.
	Daily(ctx context.Context, userID, committee string) ([]bot.DayPoint, error)
	// CommitteeView is one committee's households and tasks.
	CommitteeView(ctx context.Context, userID, committee, search string) (bot.CommitteeView, error)
	// HouseholdView is one household, masked.
	HouseholdView(ctx context.Context, userID, committee, code string) (bot.HouseholdView, error)
	// Committees lists the committees the user may read.
	Committees(ctx context.Context, userID string) ([]string, error)
	// RegisterCategories lists the policy's categories for the form.
	RegisterCategories() []bot.CategoryForm
	// Run runs a chat command as userID. op identifies the page action
	// (its one-time form token): running the same op twice applies once
	// and answers the same.
	Run(ctx context.Context, userID, command, op string) (bot.Reply, error)
	// ImportFile imports an uploaded household list.
	ImportFile(ctx context.Context, userID, fileName string, data []byte) (bot.Reply, bot.ImportReport, error)
}

// Identity turns a WeCom OAuth code into a userid; a code works once.
type Identity interface {
	UserIDFromCode(ctx context.Context, code string) (string, error)
}

// BotSource is Source over the chat bot itself.
type BotSource struct {
	*bot.Bot
	// Now stamps the synthetic messages; time.Now when nil.
	Now func() time.Time
}

// Run hands the command to the bot as a text message whose MsgId is
// derived from op, so the bot's exactly-once rule, its audit entry, its
// checks and its Chinese answers are the chat's own.
func (s BotSource) Run(ctx context.Context, userID, command, op string) (bot.Reply, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	return s.Handle(ctx, bot.Incoming{MsgID: OpMsgID(userID, op), From: userID, MsgType: "text", Text: command, At: now(), Form: true})
}

// OpMsgID is the MsgId of the message a page action stands for. It cannot
// collide with WeCom's MsgIds, which are digits.
func OpMsgID(userID, op string) string { return "web:" + userID + ":" + op }
