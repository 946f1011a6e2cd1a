package bot

import (
	"strings"
	"testing"

	"songnuan/internal/campaigntest"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  登记　甲一　低保　３人  ", "登记 甲一 低保 3人"},
		{"登记 甲一 低保 三人户", "登记 甲一 低保 3人"},
		{"登记 甲一 低保 3口人", "登记 甲一 低保 3人"},
		{"登记 甲一 低保 两人", "登记 甲一 低保 2人"},
		{"登记 甲一 3人户 低保", "登记 甲一 3人 低保"},
		{"走访 甲一 发放九百元", "走访 甲一 发放900元"},
		{"走访 甲一 发放一千五百元", "走访 甲一 发放1500元"},
		{"走访 甲一 发放一千五", "走访 甲一 发放1500"},
		{"走访 甲一 九百块钱", "走访 甲一 900元"},
		{"走访 甲一 发放 五百", "走访 甲一 发放 500"},
		{"走访 甲一 日期：一月十五日", "走访 甲一 日期:1月15日"},
		{"走访 甲一 十二月二十八号", "走访 甲一 12月28号"},
		{"登记 甲一 低保 3人", "登记 甲一 低保 3人"},     // a numeral in a name stays
		{"登记 王五 低保 3人", "登记 王五 低保 3人"},     // also at the end of a name
		{"登记 张三 三八红旗手1人", "登记 张三 三八红旗手1人"}, // and in a category name
		{"登记 李四 百企助百老1人", "登记 李四 百企助百老1人"},
		{"登记 赵六 一户多残两人", "登记 赵六 一户多残2人"},
		{"居委 ： 甘泉一村", "居委:甘泉一村"},
		{"登记，甲一，低保，3人", "登记,甲一,低保,3人"},
		{"走访\t甲一\n发放900元", "走访 甲一 发放900元"},
		{"ＡＢＣ！", "ABC!"},
		{"发放一百零五元", "发放105元"},
		{"发放一万五", "发放15000"},
		{"发放二十元", "发放20元"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeWith(tt.in, campaigntest.Policy().Words()); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseCNNumber(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"三", 3, true}, {"十", 10, true}, {"十五", 15, true}, {"二十", 20, true}, {"二十三", 23, true},
		{"一百", 100, true}, {"一百零五", 105, true}, {"九百", 900, true}, {"一千五百", 1500, true},
		{"一千五", 1500, true}, {"三百五", 350, true}, {"两千", 2000, true}, {"一万五", 15000, true},
		{"三万二千", 32000, true}, {"二〇二四", 2024, true}, {"两", 2, true},
		{"十十", 0, false}, {"二三百", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseCNNumber([]rune(tt.in))
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("parseCNNumber(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// BenchmarkNormalizeLong guards against quadratic work on long input.
func BenchmarkNormalizeLong(b *testing.B) {
	s := strings.Repeat("一a", 20000)
	words := campaigntest.Policy().Words()
	for b.Loop() {
		NormalizeWith(s, words)
	}
}
