package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"songnuan/bot"
	"songnuan/config"
	"songnuan/wecom/fakeapi"
)

// songnuan menu install sets the menu the issue asks for, against the
// fake WeCom, and every click key is one the bot answers.
func TestMenuInstallSetsTheAppMenu(t *testing.T) {
	fake := fakeapi.New()
	fake.SetCredentials("wwmenu", "menu-secret")
	api := httptest.NewServer(fake)
	defer api.Close()
	cfg := config.Default()
	cfg.WeCom = config.WeCom{CorpID: "wwmenu", Secret: "menu-secret", Token: "tok123", EncodingAESKey: config.DemoAESKey,
		AgentID: "1000005", APIBase: api.URL}
	cfg.PublicURL = "https://songnuan.example.gov.cn"
	var out strings.Builder
	if err := installMenu(context.Background(), cfg, &out); err != nil {
		t.Fatal(err)
	}
	body, agent := fake.Menu()
	if agent != "1000005" {
		t.Errorf("menu set for agent %q, want 1000005", agent)
	}
	var m struct {
		Button []struct {
			Type, Name, Key, URL string
			Sub                  []struct{ Type, Name, Key, URL string } `json:"sub_button"`
		} `json:"button"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	clicks, views := map[string]string{}, map[string]string{}
	for _, b := range m.Button {
		all := append([]struct{ Type, Name, Key, URL string }{{b.Type, b.Name, b.Key, b.URL}}, b.Sub...)
		if len(b.Sub) > 5 {
			t.Errorf("%s has %d sub-buttons, WeCom allows 5", b.Name, len(b.Sub))
		}
		for _, x := range all {
			switch x.Type {
			case "click":
				clicks[x.Name] = x.Key
			case "view":
				views[x.Name] = x.URL
			}
		}
	}
	if len(m.Button) > 3 {
		t.Errorf("%d buttons, WeCom allows 3", len(m.Button))
	}
	for _, name := range []string{"待办", "进度", "日程", "帮助"} {
		cmd, ok := bot.MenuCommand(clicks[name])
		if !ok || cmd != name {
			t.Errorf("click %s has key %q, which the bot answers as %q", name, clicks[name], cmd)
		}
	}
	if views["工作台"] != "https://songnuan.example.gov.cn/app/" {
		t.Errorf("工作台 opens %q", views["工作台"])
	}
	if !strings.Contains(out.String(), "已设置应用菜单") {
		t.Errorf("output %q", out.String())
	}

	cfg.PublicURL = ""
	if err := installMenu(context.Background(), cfg, &out); err == nil || !strings.Contains(err.Error(), "SONGNUAN_PUBLIC_URL=") {
		t.Errorf("without a public URL: %v, want an error with an example", err)
	}
}
