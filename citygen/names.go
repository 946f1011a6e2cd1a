package citygen

// Name tables. Nothing here holds a Chinese numeral that the bot would read
// as a count (a numeral before 人口户元块天号月日, or after 发放/编号…), nor
// a word of the policy's categories, so every generated name reaches the
// bot as the name it is.
var (
	// placeFirst and placeSecond make two-character place names in the
	// style of Shanghai's estates (天山, 仙霞, 虹桥).
	placeFirst  = []rune("天仙虹古华长金江凌田周康龙兰宜曹梅桃枫松柳杨安和平福瑞祥泰嘉宝莘春秋青南北东西")
	placeSecond = []rune("山霞桥阳泾宁桂浦园林溪湾港城庄河泉塘岭湖")
	// committeeSuffix ends a committee's name: numbered estates
	// (天山一村), newer compounds, and plain residents' districts.
	committeeSuffix = []string{"新村", "一村", "二村", "三村", "四村", "五村", "六村", "花苑", "小区", "家园", "公寓", "居民区", "新苑", "佳苑"}

	// surnames are weighted towards the common ones, as a real list is.
	surnames = []struct {
		name   string
		weight int
	}{
		{"王", 16}, {"李", 14}, {"张", 14}, {"刘", 10}, {"陈", 12}, {"杨", 6}, {"黄", 6}, {"赵", 5}, {"吴", 6},
		{"周", 6}, {"徐", 7}, {"孙", 4}, {"马", 3}, {"朱", 5}, {"胡", 4}, {"郭", 3}, {"何", 3}, {"高", 3},
		{"林", 3}, {"罗", 2}, {"郑", 2}, {"梁", 2}, {"谢", 2}, {"宋", 2}, {"唐", 2}, {"许", 2}, {"韩", 2},
		{"冯", 2}, {"邓", 2}, {"曹", 2}, {"彭", 1}, {"曾", 1}, {"肖", 1}, {"田", 1}, {"董", 1}, {"袁", 1},
		{"潘", 1}, {"于", 1}, {"蒋", 1}, {"蔡", 1}, {"余", 1}, {"杜", 1}, {"叶", 1}, {"程", 1}, {"苏", 1},
		{"魏", 1}, {"吕", 1}, {"丁", 1}, {"任", 1}, {"沈", 3}, {"姚", 1}, {"卢", 1}, {"钱", 1}, {"顾", 2},
	}
	// givenNames are the names of the generations the campaign mostly
	// visits: people born between the 1930s and the 1990s.
	givenNames = []string{
		"建国", "建华", "国强", "国平", "秀英", "桂英", "玉兰", "秀兰", "桂兰", "淑珍", "凤英", "美华", "美娟",
		"丽娟", "志明", "志刚", "德明", "金宝", "根宝", "阿毛", "小妹", "宝珍", "荣华", "宏伟", "海燕", "晓东",
		"文彬", "静", "敏", "芳", "磊", "勇", "军", "涛", "伟", "红", "霞", "萍", "斌", "慧", "莉", "琴",
		"振华", "卫东", "爱华", "雪芳", "月娥", "佩珍", "永康", "家骏", "彩凤", "杏芬", "梅芳", "雅琴", "伟明",
		"建平", "春花", "秋菊", "海峰", "宁", "燕", "俊", "浩", "婷", "洁", "晨", "颖", "嘉怡", "子轩",
	}

	// areaCodes are the first six digits of Shanghai residents' ID numbers,
	// old districts included, since the campaign's households are mostly
	// older people registered before the mergers.
	areaCodes = []string{
		"310101", "310102", "310103", "310104", "310105", "310106", "310107", "310108", "310109", "310110",
		"310112", "310113", "310114", "310115", "310116", "310117", "310118", "310120", "310151", "310230",
	}
	// mobilePrefixes are the first three digits of mobile numbers.
	mobilePrefixes = []string{"130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
		"152", "153", "155", "156", "157", "158", "159", "177", "180", "181", "182", "183", "186", "187",
		"188", "189", "199"}
)

// profile is one kind of household on a committee's list: the 类别 cell
// as a committee writes it, the sizes it comes in, and how often it is
// met. The weights follow DOMAIN.md: most households are 低保 families,
// then 特困供养 people living alone, 因病支出型 families, disabled
// members, the registered unemployed and entitled veterans.
type profile struct {
	category         string
	weight           int
	minSize, maxSize int
}

var profiles = []profile{
	{"低保", 48, 1, 5},
	{"低保 特困供养1人", 6, 2, 4},
	{"特困供养1人", 7, 1, 1},
	{"因病支出型", 8, 1, 5},
	{"低保 残疾重残1人", 8, 1, 4},
	{"残疾低收入1人", 4, 1, 3},
	{"残疾大病1人", 2, 1, 3},
	{"低保 登记失业人员1人", 5, 2, 4},
	{"登记失业人员1人", 2, 1, 3},
	{"重点优抚1人", 4, 1, 3},
	{"重残无业1人 残疾重残1人", 2, 1, 2},
	{"低保 支内回沪1人", 1, 2, 3},
	{"急难帮困1人", 1, 1, 2},
	{"低保 惠民帮扶", 2, 2, 4},
}

// sizeWeights[n] is how often a household has n persons: relief
// households are small, many of them one elderly person.
var sizeWeights = []int{0, 35, 30, 20, 10, 5}
