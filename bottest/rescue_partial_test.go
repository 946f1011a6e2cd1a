package bottest_test

import (
	"errors"
	"testing"
	"time"

	"songnuan/bottest"
	"songnuan/domain"
)

// TestRescueAlertThatReachedSomeTargetsIsRetriedForTheOthers: the group
// robot refuses the alert while the app members and the group chat get
// it. The report is not taken as heard by everyone: the sweep sends the
// alert to the robot, and to nobody who had it already.
func TestRescueAlertThatReachedSomeTargetsIsRetriedForTheOthers(t *testing.T) {
	bt := bottest.NewWith(t, bottest.Options{Rescue: rescueTargets})
	bt.Sender.FailWith(func(m domain.Message) error {
		if m.RobotKey != "" {
			return errors.New("robot blocked (130101)")
		}
		return nil
	})
	r, err := bt.Deliver("wang", bt.NextMsgID(), "流浪 甘泉公园东门 老人睡在长椅上")
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, r.Text, "已登记流浪求助1号", "已通知救助组")
	mustAlertEachOnce(t, bt, "1", 2)

	bt.Sender.FailWith(nil)
	bt.SetNow(bt.Now().Add(3 * time.Minute))
	sweep(t, bt, 1)
	mustAlertEachOnce(t, bt, "1", 3)
	sweep(t, bt, 0)
	mustAlertEachOnce(t, bt, "1", 3)
}
