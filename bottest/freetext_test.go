package bottest_test

import (
	"context"
	"testing"

	"songnuan/bottest"
	"songnuan/redact"
)

// TestNumbersInFreeTextAreMaskedAndSealed: a phone or ID number typed
// inside a free-text field (the address, the goods of a visit) is shown
// masked in every reply and kept in the household record only masked,
// with the text as typed sealed beside it; an unchanged address changes
// nothing on a second registration.
func TestNumbersInFreeTextAreMaskedAndSealed(t *testing.T) {
	bt := bottest.New(t)
	const phone = "13912345678"
	addr := "甘泉路9号联系" + phone
	got := bt.Say(t, "wang", "登记 庚九 低保 1人 地址:"+addr)
	mustContain(t, got, "已登记")
	if leaksNumber(got) {
		t.Errorf("登记 shows a full number:\n%s", got)
	}
	got = bt.Say(t, "wang", "走访 庚九 发放700元 物品:米油转交身份证"+idB)
	mustContain(t, got, "已记录")
	got = bt.Say(t, "wang", "查询 庚九")
	mustContain(t, got, redact.Phone(phone), redact.ID(idB))
	if leaksNumber(got) {
		t.Errorf("查询 shows a full number:\n%s", got)
	}
	hs, err := bt.Store.FindByHead(context.Background(), "甘泉一村", "庚九")
	if err != nil || len(hs) != 1 {
		t.Fatalf("find 庚九: %v %v", hs, err)
	}
	h := hs[0]
	if leaksNumber(h.Address) || leaksNumber(h.Visits[0].Goods) {
		t.Errorf("the record keeps a number in clear: address %q, goods %q", h.Address, h.Visits[0].Goods)
	}
	if full, err := bt.Sealer.Open(h.AddressSealed); err != nil || full != addr {
		t.Errorf("sealed address opens to %q %v, want the address as typed", full, err)
	}
	if full, err := bt.Sealer.Open(h.Visits[0].GoodsSealed); err != nil || full != "米油转交身份证"+idB {
		t.Errorf("sealed goods open to %q %v, want the goods as typed", full, err)
	}
	got = bt.Say(t, "wang", "登记 庚九 低保 1人 地址:"+addr)
	mustContain(t, got, "没有变化")
}
