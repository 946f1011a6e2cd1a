package understand

// This file is the interpreter's vocabulary: every word it reacts to, as
// data. The code reads these tables; no word is spelt out in a pattern
// elsewhere. Add a word here, add a corpus line that needs it.

// cue is what a word says about a message. A word may say several things.
type cue uint32

const (
	cueVisit       cue = 1 << iota // a visit happened: 去过, 慰问, 送到, 给了
	cueRegister                    // a household is added: 登记, 新增一户
	cueTopUp                       // more money on top: 补发, 再补
	cueMoney                       // money is spoken of: 钱, 慰问金
	cueFullDue                     // what is due was paid: 足额, 钱已给
	cueMoneyLater                  // the money is still to come: 钱下次给
	cueVague                       // an amount that is no amount: 一部分, 很多
	cueNegation                    // it did not happen: 还没去, 不用去
	cueFuture                      // it will happen: 明天, 下周
	cueQuestion                    // a question: 多少, 怎么样, 吗
	cueProgress                    // how far along: 进度, 完成情况, 落后
	cueFund                        // money by fund: 资金, 钱发了多少
	cueByCategory                  // by category: 按类别, 各类别
	cueOverdue                     // past a deadline: 逾期, 超期
	cueTodo                        // what is left: 没跑, 还剩几家
	cueSchedule                    // dates and phases: 截止, 什么时候, 阶段
	cueStandard                    // entitlement: 标准, 能拿多少
	cueUndo                        // take back the last: 撤销, 发错了
	cueDonate                      // money raised: 捐款, 募捐
	cueReport                      // a task reported: 上报, 报上去
	cueRescue                      // a rough sleeper: 流浪, 露宿
	cueHelp                        // how to use: 帮助, 怎么用, 你好
	cueExport                      // the table: 导出, 统计表
	cueAck                         // small talk: 好的, 收到, 谢谢
	cueQuery                       // look a household up: 查询, 查一下, 情况
	cueAll                         // all committees: 各居委, 整体
	cueFiller                      // voice-input filler: 嗯, 那个, 就是
	cueLeaderVisit                 // the visitor was a leader (see visitorWords)
	cueAlone                       // one person: 独居
)

// words maps each word to what it says. The scanner takes the longest word
// at each place, so 钱已给 wins over 钱 and 怎么登记 over 登记.
var words = map[string]cue{
	// visits and the words that end them
	"走访": cueVisit, "走访了": cueVisit, "已走访": cueVisit, "走访结束": cueVisit, "走访完成": cueVisit, "走访好了": cueVisit,
	"去过": cueVisit, "去过了": cueVisit, "去过啦": cueVisit, "去了": cueVisit, "去的": cueVisit, "去过的": cueVisit,
	"看望": cueVisit, "看望了": cueVisit, "看过了": cueVisit, "看过": cueVisit, "看了": cueVisit,
	"慰问": cueVisit, "慰问了": cueVisit, "已慰问": cueVisit, "慰问过了": cueVisit,
	"送到": cueVisit, "送去": cueVisit, "送去了": cueVisit, "送了": cueVisit, "送过去了": cueVisit, "送过去": cueVisit,
	"送到了": cueVisit, "已送到": cueVisit, "已送": cueVisit, "送达": cueVisit, "已送达": cueVisit, "已经送去了": cueVisit,
	"已经送到": cueVisit, "送的": cueVisit,
	"发了": cueVisit, "发掉了": cueVisit, "发掉": cueVisit, "发放": cueVisit, "已发放": cueVisit, "已发": cueVisit,
	"发放了": cueVisit, "已经发了": cueVisit, "发放到位": cueVisit, "到位": cueVisit,
	"给了": cueVisit, "已给": cueVisit, "给他了": cueVisit, "给她了": cueVisit, "已经给了": cueVisit, "给的": cueVisit,
	"已经给他了": cueVisit, "已经给她了": cueVisit, "给他": cueVisit, "给她": cueVisit, "已付": cueVisit, "付了": cueVisit,
	"完成": cueVisit, "好了": cueVisit, "过了": cueVisit, "带了": cueVisit, "交给": cueVisit, "手上": cueVisit,
	"一起去的": cueVisit,
	// registering
	"登记": cueRegister, "新增": cueRegister, "新增一户": cueRegister, "添加": cueRegister, "加一户": cueRegister,
	"再加一户": cueRegister, "增加一户": cueRegister, "新登记一户": cueRegister, "登记一户": cueRegister,
	"登记一下": cueRegister, "新来一户": cueRegister, "帮我登记": cueRegister, "帮我登记一下": cueRegister,
	"登记一户人家": cueRegister, "想登记": cueRegister, "帮忙登记": cueRegister, "改成": cueRegister, "改为": cueRegister,
	// money
	"补发": cueTopUp | cueVisit, "再补": cueTopUp | cueVisit, "补上了": cueTopUp | cueVisit, "补上": cueTopUp | cueVisit,
	"补了": cueTopUp | cueVisit, "还差的": cueTopUp,
	"钱": cueMoney, "慰问金": cueMoney, "金额": cueMoney,
	"足额": cueFullDue, "足额发放": cueFullDue | cueVisit, "钱已给": cueFullDue | cueVisit, "钱给了": cueFullDue | cueVisit,
	"钱已送到": cueFullDue | cueVisit, "钱已足额发放": cueFullDue | cueVisit, "慰问金已发放": cueFullDue | cueVisit,
	"钱已经给了": cueFullDue | cueVisit, "钱已发": cueFullDue | cueVisit,
	"钱下次给": cueMoneyLater, "钱还没给": cueMoneyLater, "钱没给": cueMoneyLater, "钱还没发": cueMoneyLater,
	"一部分": cueVague, "部分": cueVague, "很多": cueVague, "不少": cueVague, "一些": cueVague,
	// not sure it happened: ask rather than record
	"记得": cueVague, "我记得": cueVague, "好像": cueVague, "应该是": cueVague, "可能": cueVague, "大概": cueVague,
	// it did not happen, or not yet
	"还没去": cueNegation, "没去": cueNegation, "没去成": cueNegation, "不用去": cueNegation, "不用": cueNegation,
	"不要发": cueNegation, "不要": cueNegation, "还没": cueNegation, "没有去": cueNegation,
	"明天": cueFuture, "后天": cueFuture, "下周": cueFuture, "准备": cueFuture, "打算": cueFuture, "等会": cueFuture,
	"待会": cueFuture, "马上去": cueFuture, "下午去": cueFuture, "上午去": cueFuture, "晚上去": cueFuture,
	"等下去": cueFuture, "一会去": cueFuture,
	"上午去了": cueVisit, "下午去了": cueVisit, "晚上去了": cueVisit, "上午去过": cueVisit, "下午去过": cueVisit,
	"上午去的": cueVisit, "下午去的": cueVisit, "下午": 0, "上午": 0, "晚上": 0,
	// questions
	"多少": cueQuestion, "几": cueQuestion, "哪": cueQuestion, "哪些": cueQuestion, "哪几": cueQuestion, "什么": cueQuestion,
	"怎么": cueQuestion, "如何": cueQuestion, "怎样": cueQuestion, "怎么样": cueQuestion, "是否": cueQuestion,
	"有没有": cueQuestion, "没有": cueQuestion, "了没": cueQuestion, "谁": cueQuestion, "吗": cueQuestion,
	"呢": cueQuestion, "?": cueQuestion, "多少钱": cueQuestion | cueStandard, "哪天": cueQuestion,
	"怎么还没动": cueQuestion | cueProgress,
	// progress, for leaders above all
	"进度": cueProgress, "进展": cueProgress, "完成情况": cueProgress, "情况": cueProgress | cueQuery,
	"完成得": cueProgress, "完成率": cueProgress, "总数": cueProgress | cueAll, "落后": cueProgress | cueAll,
	"最慢": cueProgress | cueAll, "总体": cueProgress | cueAll, "整体": cueProgress | cueAll, "统计": cueProgress,
	"统计一下": cueProgress, "还没完成": cueProgress, "走访了多少户": cueProgress, "完了": cueProgress,
	"走访完了": cueProgress, "走访得": cueProgress, "各个居委": cueAll, "各居委": cueAll, "哪些居委": cueAll | cueProgress,
	"哪几个居委": cueAll | cueProgress, "哪个居委": cueAll | cueProgress, "各村": cueAll, "分别": cueAll,
	"资金": cueFund, "资金来源": cueFund, "经费": cueFund, "钱发了多少": cueFund | cueQuestion, "钱到位": cueFund,
	"按资金": cueFund, "按资金来源": cueFund, "各居委的钱": cueFund | cueAll,
	"按类别": cueByCategory, "各类别": cueByCategory, "类别": cueByCategory, "分类": cueByCategory,
	"逾期": cueOverdue | cueProgress, "超期": cueOverdue | cueProgress, "逾期了": cueOverdue | cueProgress,
	// what is left, for workers
	"没跑": cueTodo, "没走访": cueTodo, "没走访的": cueTodo, "没做完": cueTodo, "还剩": cueTodo, "还有几户": cueTodo,
	"几户没": cueTodo, "几家没": cueTodo, "哪几户": cueTodo, "哪些户": cueTodo, "钱没发": cueTodo, "待办": cueTodo,
	"还没走访": cueTodo, "还有哪些": cueTodo, "还差几户": cueTodo, "差几户": cueTodo, "还差几家": cueTodo,
	"没发钱": cueTodo, "还没发钱": cueTodo,
	// dates and phases
	"截止": cueSchedule, "截止日期": cueSchedule, "期限": cueSchedule, "最后期限": cueSchedule, "几号": cueSchedule | cueQuestion,
	"什么时候": cueSchedule | cueQuestion, "哪一步": cueSchedule, "阶段": cueSchedule, "日程": cueSchedule,
	"时间表": cueSchedule, "做哪些事": cueSchedule, "要做哪些事": cueSchedule, "哪个阶段": cueSchedule,
	// entitlements
	"标准": cueStandard, "能拿多少": cueStandard | cueQuestion, "能拿": cueStandard, "发多少": cueStandard | cueQuestion, "补助标准": cueStandard,
	"应发多少": cueQuery, "应该发多少": cueQuery, "发了多少": cueQuery, "应发多少钱": cueQuery,
	// take back
	"撤销": cueUndo, "撤回": cueUndo, "撤掉": cueUndo, "作废": cueUndo, "删掉": cueUndo, "删除": cueUndo,
	"发错": cueUndo, "发错了": cueUndo, "写错": cueUndo, "写错了": cueUndo, "撤回一下": cueUndo, "取消上一条": cueUndo, "错了": cueUndo,
	"上一条": 0, "刚才": 0, "刚刚": 0, "那条": 0, "那条记录": 0,
	// donations
	"捐款": cueDonate, "捐赠": cueDonate, "募捐": cueDonate, "一日捐": cueDonate, "募捐款": cueDonate,
	// reports
	"上报": cueReport, "已上报": cueReport, "报上去": cueReport, "报上去了": cueReport, "报好了": cueReport,
	"报了": cueReport, "已报": cueReport, "交了": cueReport, "写好交了": cueReport, "已经报上去了": cueReport,
	// rough sleepers
	"流浪": cueRescue, "露宿": cueRescue, "乞讨": cueRescue, "流浪乞讨": cueRescue, "睡在外面": cueRescue,
	"躺在地上": cueRescue, "睡在路边": cueRescue, "睡在地上": cueRescue,
	// help and small talk
	"帮助": cueHelp, "怎么用": cueHelp, "怎么登记": cueHelp, "怎么操作": cueHelp, "你好": cueHelp, "您好": cueHelp,
	"在吗": cueHelp, "菜单": cueHelp, "用法": cueHelp, "这个怎么用": cueHelp,
	"好的": cueAck, "收到": cueAck, "谢谢": cueAck, "辛苦了": cueAck, "哈哈": cueAck, "哈哈哈": cueAck,
	"抓紧": cueAck, "大家": cueAck, "天气": cueAck, "开会": cueAck, "ok": cueAck, "好": cueAck,
	// the table
	"导出": cueExport, "统计表": cueExport, "表格": cueExport, "excel": cueExport,
	// look a household up
	"查询": cueQuery, "几号户": cueQuery | cueQuestion, "查一下": cueQuery, "查下": cueQuery, "查": cueQuery, "是谁家": cueQuery,
	// voice-input fillers and noise
	"嗯": cueFiller, "呃": cueFiller, "那个": cueFiller, "就是": cueFiller, "然后": cueFiller, "哈": cueFiller,
	"啦": cueFiller, "呀": cueFiller, "哦": cueFiller, "嘛": cueFiller, "那边": cueFiller, "那里": cueFiller,
	"一下": cueFiller, "已经": cueFiller, "另外": cueFiller, "还有": cueFiller, "整": cueFiller,
	"我们村": cueFiller, "我们": cueFiller, "帮我": cueFiller, "发我": cueFiller, "看看": cueFiller, "看下": cueFiller,
}

// aloneWords say the household is one person.
var aloneWordsCue = map[string]cue{"独居": cueAlone, "一人户": cueAlone, "孤老独居": cueAlone, "独自居住": cueAlone}

// visitorWords name who visited when it was not the committee.
var visitorWords = map[string]string{
	"区领导": "区领导", "区级领导": "区领导", "区委领导": "区领导",
	"街道领导": "街镇领导", "街镇领导": "街镇领导", "街领导": "街镇领导", "镇领导": "街镇领导",
}

// honorifics follow a surname or a name and are no part of it.
var honorifics = []string{
	"阿姨", "叔叔", "伯伯", "老伯", "阿婆", "奶奶", "爷爷", "大爷", "大妈", "师傅", "老师", "先生", "女士",
	"阿叔", "婆婆", "伯母", "老太", "老太太", "大姐", "大哥", "姐", "哥",
}

// nameAffixes come before a surname: 老周, 小黄.
const nameAffixes = "老小"

// houseSuffix follows a name for the household: 周建华家.
const houseSuffix = '家'

// surnames that start a name not yet registered. Surnames that are also
// common first characters of words here (于, 和, 方, 明, 钱, 米, 包 …) are
// left out: a registered head with such a surname is still found, since
// heads are matched whole.
const surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢龙毛" +
	"姜崔钟谭陆汪范金石廖贾夏韦付傅白邹孟熊秦邱江尹薛闫段雷侯史陶黎贺顾郝龚邵严覃武戴莫孔汤温康施牛樊葛邢乔伍庞颜倪庄聂" +
	"章鲁岳翟殷詹欧耿焦俞左柳祝舒阮柯纪梅童凌毕季裴霍涂苗盛翁冉骆蓝辛靳柴蒙鲍喻祁蒲滕屈饶牟艾尤穆卓缪褚娄窦戚岑宫卜晏席" +
	"柏宗瞿桂佟臧闵苟邬卞姬仇栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩佘池苑迟邝"

// notInName are characters that end a name not yet registered: particles,
// verbs and units that follow a name in chat.
const notInName = "已了的给送去过到在是有和与及就也都还再把被让从向对为钱元块号月日年天口户个这那哪么吗呢吧啊嗯我你他她们上下里" +
	"手说要会能没不很共各每另发看走访慰问补足额交报撤删捐查等后前今昨住姓独低特残困保增加登记带收"

// goodsWords are things handed over on a visit.
var goodsWords = []string{
	"大米", "米", "食用油", "油", "牛奶", "棉被", "被子", "苹果", "水果", "月饼", "慰问品", "年货", "面粉", "鸡蛋",
	"羽绒服", "衣服", "电热毯", "礼包", "大礼包", "食品", "粮油", "毛毯", "取暖器",
}

// measureWords count goods: 一袋, 一桶.
const measureWords = "袋桶箱条件包瓶盒斤床份提壶"

// Units after a number and what the number then is.
var (
	moneyUnits = []string{"元整", "元钱", "块钱", "元", "块"}
	sizeUnits  = []string{"口之家", "口人", "人户", "个人", "口", "人", "位"}
	ageUnits   = []string{"岁"}
	countUnits = []string{"户", "家"}
)

// moneyTriggers before a number without a unit make it an amount.
var moneyTriggers = []string{"发放", "发了", "给了", "补发", "再补", "补", "钱", "慰问金", "送了", "已发", "付", "金额", "一千", "发"}

// relationWords name one member of the household: 老伴残疾重残.
var relationWords = []string{"老伴", "丈夫", "妻子", "儿子", "女儿", "孙子", "孙女", "本人", "母亲", "父亲"}

// The keys before an ID, a phone number or an address.
var (
	idKeys      = []string{"身份证号码", "身份证号", "身份证", "证件号码", "证件号"}
	phoneKeys   = []string{"手机号码", "手机号", "联系电话", "电话号码", "手机", "电话"}
	addressKeys = []string{"家庭地址", "住址", "地址", "家住", "住在", "住"}
)

// Relative day words and how many days back they are.
var relDays = map[string]int{"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2, "大前天": 3}

// Weekday words after 上周 / 这周.
var weekdays = map[string]int{"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}

// reportTasks name what a committee reports, as the schedule says it.
var reportTasks = map[string]string{"方案": "方案", "计划": "方案", "名单": "名单", "名册": "名单", "花名册": "名单", "小结": "小结", "总结": "小结"}

// donationSources are named sources of donations; any other source is the
// words before 捐款.
var donationSources = []string{"蓝天下的至爱", "一日捐", "慈善募捐", "募捐"}

// placeWords end a place in a 流浪 report: the place runs to and with them.
var placeWords = []string{"门口", "东门", "西门", "南门", "北门", "后面", "下面", "旁边", "附近", "里面", "对面"}

// Particles that may end any message without changing it.
var trailingParticles = []string{"吗", "呢", "吧", "啊", "呀"}

// Canonical command words, as the router matches them. argsSep: the word
// needs a space or colon and arguments; bare: it may stand alone.
type canonWord struct {
	word    string
	intent  Intent
	argsSep bool // needs arguments after a space or colon
	bare    bool // may stand alone
	spaced  bool // optional arguments after a space
}

var canonWords = []canonWord{
	{"帮助", Help, false, true, false}, {"help", Help, false, true, false}, {"?", Help, false, true, false},
	{"菜单", Help, false, true, false}, {"命令", Help, false, true, false}, {"功能", Help, false, true, false},
	{"登记", Register, true, false, false}, {"新增", Register, true, false, false}, {"添加", Register, true, false, false},
	{"走访", Visit, true, false, false}, {"慰问", Visit, true, false, false}, {"发放", Visit, true, false, false},
	{"补发", Visit, true, false, false},
	{"撤销", Undo, false, true, false}, {"撤回", Undo, false, true, false}, {"取消上一条", Undo, false, true, false},
	{"查询", Query, true, false, false}, {"查", Query, true, false, false},
	{"标准", Standard, false, true, true},
	{"待办", Todo, false, true, true}, {"待走访", Todo, false, true, true}, {"未走访", Todo, false, true, true},
	{"进度", Progress, false, true, true}, {"进展", Progress, false, true, true}, {"完成情况", Progress, false, true, true},
	{"日程", Schedule, false, true, false}, {"日程表", Schedule, false, true, false}, {"时间表", Schedule, false, true, false},
	{"时间安排", Schedule, false, true, false},
	{"上报", Report, false, true, true},
	{"捐款", Donate, true, false, false}, {"捐赠", Donate, true, false, false},
	{"流浪", Rescue, true, false, false},
	{"导出", Export, false, true, true},
	{"广播", Broadcast, true, false, false},
	{"确认", Confirm, false, true, false}, {"确定", Confirm, false, true, false}, {"确认发送", Confirm, false, true, false},
	{"取消", Confirm, false, true, false}, {"取消发送", Confirm, false, true, false}, {"放弃", Confirm, false, true, false},
}

// Field keys of the canonical forms (key:value).
var fieldKeys = map[string]bool{
	"身份证": true, "身份证号": true, "身份证号码": true, "证件号": true, "证件号码": true, "id": true,
	"电话": true, "手机": true, "手机号": true, "手机号码": true, "联系电话": true, "电话号码": true,
	"地址": true, "住址": true, "家庭地址": true, "居委": true, "居委会": true, "居民区": true, "社区": true,
	"编号": true, "户号": true, "户主": true, "姓名": true, "人数": true, "家庭人数": true, "类别": true, "类型": true,
	"物品": true, "实物": true, "礼品": true, "慰问品": true, "走访人": true, "慰问人": true, "走访": true,
	"日期": true, "时间": true, "走访日期": true, "发放": true, "金额": true, "补发": true,
	"去掉": true, "删除": true, "删去": true, "取消": true,
}

// Words a canonical 走访 may carry besides its fields.
var canonVisitWords = map[string]bool{"发放": true, "发了": true, "补发": true, "居委": true, "居委会": true, "社工": true, "居委干部": true}

// Words a canonical 进度 may carry.
var canonProgressViews = map[string]string{
	"类别": "类别", "按类别": "类别", "分类": "类别", "类型": "类别",
	"资金": "资金", "按资金": "资金", "资金来源": "资金", "经费": "资金", "列支": "资金",
}

// Caps on what a name and an address may be.
const (
	MaxNameRunes    = 20
	MaxAddressRunes = 60
	maxAmount       = 100000
	maxSize         = 20
)

// confirmWords carry out a pending change.
var confirmWords = []string{"是", "是的", "对", "对的", "好", "好的", "确认", "嗯", "ok", "1", "确定"}

// refuseWords drop a pending change and say nothing more.
var refuseWords = []string{"不", "不是", "不对", "不要", "不用", "不用了", "否", "取消", "算了", "算了吧", "错了", "写错了", "no"}
