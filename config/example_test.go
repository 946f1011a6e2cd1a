package config_test

import (
	"errors"
	"fmt"
	"strings"

	"songnuan/config"
)

// Some credentials set and others not is a mistake, not demo mode: every
// missing one is named, together with everything else that is wrong.
func ExampleLoad() {
	env := map[string]string{
		"WECOM_CORP_ID": "ww0123456789abcdef",
		"WECOM_TOKEN":   "QDG6eK",
		"LOG_LEVEL":     "verbose",
	}
	_, err := config.Load("", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	var e *config.Error
	if errors.As(err, &e) {
		for _, p := range e.Problems {
			fmt.Println(strings.TrimSpace(p.Key + " " + p.Env))
		}
	}
	// Output:
	// wecom.encoding_aes_key
	// wecom.secret
	// wecom.agent_id
	// staff
	// data_key
	// log_level LOG_LEVEL
}

// With no credentials at all the bot runs against its own fake WeCom.
func ExampleConfig_ApplyDemo() {
	c, err := config.Load("", nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Demo())
	c.ApplyDemo(":8080")
	fmt.Println(c.WeCom.CorpID, c.WeCom.APIBase)
	for _, s := range c.Staff {
		fmt.Println(strings.TrimSpace(fmt.Sprint(s.UserID, " ", s.Role, " ", s.Committee)))
	}
	// Output:
	// true
	// wwdemo0000000000 http://127.0.0.1:8080/_fake/wecom
	// wang worker 甘泉一村
	// li worker 甘泉二村
	// zhao leader
	// admin admin
}
