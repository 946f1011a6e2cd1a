package bottest_test

import (
	"context"
	"testing"

	"songnuan/bot"
	"songnuan/bottest"
)

// TestReconcileRepairsPersonIndexDrift: a person-index step that failed
// (after an undo, say) leaves an entry naming a household that no longer
// holds the number, or none for one that does. The first wrongly refuses
// the person elsewhere, the second would let them be registered twice.
// ReconcilePersons puts both right.
func TestReconcileRepairsPersonIndexDrift(t *testing.T) {
	bt := bottest.New(t)
	ctx := context.Background()
	mustContain(t, bt.Say(t, "wang", "登记 甲一 低保 3人 身份证:"+idA), "已登记")
	hs, err := bt.Store.FindByHead(ctx, "甘泉一村", "甲一")
	if err != nil || len(hs) != 1 {
		t.Fatalf("find 甲一: %v %v", hs, err)
	}
	ref := bot.PersonRef{Committee: "甘泉一村", Code: hs[0].Code}
	// Drift: 甲一's entry lost; an entry for idC naming 甲一, which does not hold it.
	if err := bt.Store.ReleasePerson(ctx, bt.Sealer.Hash(idA), ref); err != nil {
		t.Fatal(err)
	}
	if _, err := bt.Store.ClaimPerson(ctx, bt.Sealer.Hash(idC), ref); err != nil {
		t.Fatal(err)
	}
	d, err := bt.Store.ReconcilePersons(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Added != 1 || d.Removed != 1 || len(d.Clashes) != 0 {
		t.Errorf("reconcile: %+v, want 1 added, 1 removed, no clash", d)
	}
	mustContain(t, bt.Say(t, "chen", "登记 乙一 低保 1人 身份证:"+idA), "重复")
	mustContain(t, bt.Say(t, "chen", "登记 乙二 低保 1人 身份证:"+idC), "已登记")
	if d, err := bt.Store.ReconcilePersons(ctx); err != nil || d.Added+d.Removed != 0 {
		t.Errorf("reconcile once more: %+v %v, want nothing to do", d, err)
	}
}
