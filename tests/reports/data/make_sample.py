"""Builds sample_report.json (run from the repo root) and checks its inline ops add up.

A hand-written Store.report_data() dict: Chinese zones, targets, inline changes, a suspect page,
availability events and hostile page text. Every `inline` list must rebuild `before` and `after`.
"""

import json

U5 = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0206/5700517.html"
U6 = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0208/5701122.html"
U4 = "http://www.chinahightech.com/html/hotnews/yaowen/2024/0205/5700233.html"
U23_3 = "http://www.chinahightech.com/html/hotnews/yaowen/2023/0201/5534120.html"
U23_7 = "http://www.chinahightech.com/html/hotnews/yaowen/2023/0209/5537781.html"
prev_23_3 = {
    "url": U23_3,
    "title": "国家高新区密集部署 2023年这样干!③",
    "year": 2023,
    "installment": 3,
    "published": "2023-02-01T09:12:05+08:00",
}
prev_23_7 = {
    "url": U23_7,
    "title": "国家高新区密集部署 2023年这样干!⑦",
    "year": 2023,
    "installment": 7,
    "published": "2023-02-09T10:02:44+08:00",
}
prev_24_2 = {
    "url": "http://www.chinahightech.com/html/hotnews/yaowen/2024/0131/5699410.html",
    "title": "国家高新区密集部署 2024年这样干!②",
    "year": 2024,
    "installment": 2,
    "published": "2024-01-31T08:40:11+08:00",
}


def t(subject, value, unit, kind, text):
    return {"subject": subject, "value": value, "unit": unit, "kind": kind, "text": text}


data = {
    "since": "2024-02-05T00:00:00+08:00",
    "until": "2024-02-12T00:00:00+08:00",
    "summary": {
        "new_installments": 2,
        "edited_installments": 2,
        "zones_covered": 9,
        "new_zones": 3,
        "suspects": 2,
    },
    "new_installments": [
        {
            "url": U5,
            "title": "国家高新区密集部署 2024年这样干!⑤",
            "year": 2024,
            "installment": 5,
            "published": "2024-02-06T08:53:40+08:00",
            "zones": ["威海高新区", "天津高新区", "兰州高新区", "昆明高新区", "玉溪高新区"],
            "new_zones": ["玉溪高新区"],
            "sections": [
                {
                    "zone": "威海高新区",
                    "paragraphs": [
                        "2月4日，2023年度威海高新区总结表彰大会召开，提出要抓好10项攻坚行动，奋力开创经济社会发展新局面。",
                        "实施招商引资突破攻坚行动。创新招商机制，强化以企招商，探索以投促招，实施社会化招商，力争全年新落地过10亿元项目10个以上，“十强”产业到位内资突破百亿元，实际利用外资继续保持全市领先。",
                        "实施项目建设提速攻坚行动。99个省市区三级重点项目年度计划投资80亿元，力争一季度开工率超过90%、上半年确保开工率达到100%，年内投产项目40个以上。",
                    ],
                    "targets": [
                        t("过10亿元项目", 10, "个", "以上", "新落地过10亿元项目10个以上"),
                        t("重点项目年度计划投资", 80, "亿元", "", "年度计划投资80亿元"),
                        t("一季度开工率", 90, "%", "超过", "一季度开工率超过90%"),
                        t("年内投产项目", 40, "个", "以上", "年内投产项目40个以上"),
                    ],
                    "previous": prev_23_3,
                    "changes": [
                        {
                            "zone": "威海高新区",
                            "kind": "changed",
                            "before": "2月10日，威海高新区召开2023年工作会议，提出要抓好8项攻坚行动。",
                            "after": "2月4日，2023年度威海高新区总结表彰大会召开，提出要抓好10项攻坚行动，奋力开创经济社会发展新局面。",
                            "inline": [
                                ["-", "2月10日，威海高新区召开2023年工作会议"],
                                ["+", "2月4日，2023年度威海高新区总结表彰大会召开"],
                                ["=", "，提出要抓好"],
                                ["-", "8"],
                                ["+", "10"],
                                ["=", "项攻坚行动"],
                                ["+", "，奋力开创经济社会发展新局面"],
                                ["=", "。"],
                            ],
                        },
                        {
                            "zone": "威海高新区",
                            "kind": "added",
                            "before": None,
                            "after": "实施项目建设提速攻坚行动。99个省市区三级重点项目年度计划投资80亿元，力争一季度开工率超过90%、上半年确保开工率达到100%，年内投产项目40个以上。",
                            "inline": [
                                [
                                    "+",
                                    "实施项目建设提速攻坚行动。99个省市区三级重点项目年度计划投资80亿元，力争一季度开工率超过90%、上半年确保开工率达到100%，年内投产项目40个以上。",
                                ]
                            ],
                        },
                    ],
                    "target_changes": [
                        {"subject": "过10亿元项目", "before": "8个以上", "after": "10个以上"}
                    ],
                },
                {
                    "zone": "天津高新区",
                    "paragraphs": [
                        "2月1日，天津高新区召开2024年工作会议。",
                        "持续打造产业高地，支撑经济阶跃式发展。要做优做强主导产业，全年力争谋划10亿元、50亿元和100亿元3个级别重大项目不少于70个。",
                    ],
                    "targets": [t("重大项目", 70, "个", "不少于", "重大项目不少于70个")],
                    "previous": prev_23_7,
                    "changes": [
                        {
                            "zone": "天津高新区",
                            "kind": "changed",
                            "before": "要做优做强主导产业，全年力争谋划重大项目不少于50个。",
                            "after": "要做优做强主导产业，全年力争谋划10亿元、50亿元和100亿元3个级别重大项目不少于70个。",
                            "inline": [
                                ["=", "要做优做强主导产业，全年力争谋划"],
                                ["+", "10亿元、50亿元和100亿元3个级别"],
                                ["=", "重大项目不少于"],
                                ["-", "5"],
                                ["+", "7"],
                                ["=", "0个。"],
                            ],
                        },
                        {
                            "zone": "天津高新区",
                            "kind": "removed",
                            "before": "加快建设天津滨海高新区渤龙湖科技园。",
                            "after": None,
                            "inline": [["-", "加快建设天津滨海高新区渤龙湖科技园。"]],
                        },
                    ],
                    "target_changes": [
                        {"subject": "重大项目", "before": "不少于50个", "after": "不少于70个"}
                    ],
                },
                {
                    "zone": "兰州高新区",
                    "paragraphs": [
                        "1月31日，兰州高新区召开2024年工作会议。",
                        "围绕推进全年高质量发展各项重点任务，兰州高新区将推进实施“六大行动”。",
                    ],
                    "targets": [],
                    "previous": prev_24_2,
                    "changes": [],
                    "target_changes": [],
                },
                {
                    "zone": "昆明高新区",
                    "paragraphs": [
                        "1月29日，昆明高新区召开中共昆明高新区工委2024年第五次（扩大）会议暨昆明高新区2024年工作会议。",
                        "会议提出，2024年，昆明高新区经济社会发展主要目标是：固定资产投资增长5%，规模以上工业产值增长8%，社会消费品零售总额增长7%，一般公共预算收入增长3.5%。",
                    ],
                    "targets": [
                        t("固定资产投资", 5, "%", "增长", "固定资产投资增长5%"),
                        t("规模以上工业产值", 8, "%", "增长", "规模以上工业产值增长8%"),
                        t("社会消费品零售总额", 7, "%", "增长", "社会消费品零售总额增长7%"),
                        t("一般公共预算收入", 3.5, "%", "增长", "一般公共预算收入增长3.5%"),
                    ],
                    "previous": prev_23_3,
                    "changes": [
                        {
                            "zone": "昆明高新区",
                            "kind": "changed",
                            "before": "会议提出，2023年，昆明高新区经济社会发展主要目标是：固定资产投资增长10%，规模以上工业产值增长12%，社会消费品零售总额增长7%。",
                            "after": "会议提出，2024年，昆明高新区经济社会发展主要目标是：固定资产投资增长5%，规模以上工业产值增长8%，社会消费品零售总额增长7%，一般公共预算收入增长3.5%。",
                            "inline": [
                                ["=", "会议提出，202"],
                                ["-", "3"],
                                ["+", "4"],
                                ["=", "年，昆明高新区经济社会发展主要目标是：固定资产投资增长"],
                                ["-", "10"],
                                ["+", "5"],
                                ["=", "%，规模以上工业产值增长"],
                                ["-", "12"],
                                ["+", "8"],
                                ["=", "%，社会消费品零售总额增长7%"],
                                ["+", "，一般公共预算收入增长3.5%"],
                                ["=", "。"],
                            ],
                        }
                    ],
                    "target_changes": [
                        {"subject": "固定资产投资", "before": "增长10%", "after": "增长5%"},
                        {"subject": "规模以上工业产值", "before": "增长12%", "after": "增长8%"},
                    ],
                },
                {
                    "zone": "玉溪高新区",
                    "paragraphs": [
                        "2月2日上午，玉溪高新区召开2024年度工作会议。",
                        "力争2024年生物医药产业完成产值100亿元以上。",
                    ],
                    "targets": [
                        t(
                            "生物医药产业产值",
                            100,
                            "亿元",
                            "以上",
                            "生物医药产业完成产值100亿元以上",
                        )
                    ],
                    "previous": None,
                    "changes": [],
                    "target_changes": [],
                },
            ],
        },
        {
            "url": U6,
            "title": "国家高新区密集部署 2024年这样干!⑥",
            "year": 2024,
            "installment": 6,
            "published": "2024-02-08T09:01:12+08:00",
            "zones": ["苏州工业园区", "宁波高新区", "成都高新区", "武汉东湖高新区"],
            "new_zones": ["苏州工业园区", "宁波高新区"],
            "sections": [
                {
                    "zone": "苏州工业园区",
                    "paragraphs": [
                        "2月5日，苏州工业园区召开2024年工作会议。",
                        "网页中出现的代码 <script>alert(1)</script> 与 <script>window.__pwned=1</script> 应原样显示为文字。",
                    ],
                    "targets": [t("规上工业总产值", 6, "%", "增长", "规上工业总产值增长6%")],
                    "previous": None,
                    "changes": [],
                    "target_changes": [],
                },
                {
                    "zone": "宁波高新区",
                    "paragraphs": [
                        "2月6日，宁波高新区召开2024年工作会议，研发投入强度达到<img src=x onerror=alert(1)>8%以上。"
                    ],
                    "targets": [t("研发投入强度", 8, "%", "达到以上", "研发投入强度达到8%以上")],
                    "previous": None,
                    "changes": [],
                    "target_changes": [],
                },
                {
                    "zone": "成都高新区",
                    "paragraphs": [
                        "2月4日，成都高新区召开2024年经济工作会议。",
                        "力争地区生产总值增长6.5%以上。",
                    ],
                    "targets": [
                        t("地区生产总值", 6.5, "%", "增长以上", "地区生产总值增长6.5%以上")
                    ],
                    "previous": prev_23_7,
                    "changes": [
                        {
                            "zone": "成都高新区",
                            "kind": "changed",
                            "before": "力争地区生产总值增长7%以上。",
                            "after": "力争地区生产总值增长6.5%以上。",
                            "inline": [
                                ["=", "力争地区生产总值增长"],
                                ["-", "7"],
                                ["+", "6.5"],
                                ["=", "%以上。"],
                            ],
                        }
                    ],
                    "target_changes": [
                        {"subject": "地区生产总值", "before": "增长7%以上", "after": "增长6.5%以上"}
                    ],
                },
                {
                    "zone": "武汉东湖高新区",
                    "paragraphs": ["2月7日，东湖高新区召开2024年工作会议。"],
                    "targets": [],
                    "previous": prev_23_3,
                    "changes": [],
                    "target_changes": [],
                },
            ],
        },
    ],
    "revisions": [
        {
            "url": U4,
            "title": "国家高新区密集部署 2024年这样干!④",
            "year": 2024,
            "installment": 4,
            "cause": "site",
            "changes": [
                {
                    "zone": "西安高新区",
                    "kind": "changed",
                    "before": "全年新增高新技术企业1000家以上。",
                    "after": "全年新增高新技术企业1200家以上。",
                    "inline": [
                        ["=", "全年新增高新技术企业1"],
                        ["-", "0"],
                        ["+", "2"],
                        ["=", "00家以上。"],
                    ],
                },
                {
                    "zone": "西安高新区",
                    "kind": "added",
                    "before": None,
                    "after": '更正：原文中<img src=x onerror="window.__pwned=1">的数字有误。',
                    "inline": [
                        ["+", '更正：原文中<img src=x onerror="window.__pwned=1">的数字有误。']
                    ],
                },
                {
                    "zone": None,
                    "kind": "removed",
                    "before": "（本文有删节）",
                    "after": None,
                    "inline": [["-", "（本文有删节）"]],
                },
            ],
        },
        {
            "url": U23_7,
            "title": "国家高新区密集部署 2023年这样干!⑦",
            "year": 2023,
            "installment": 7,
            "cause": "parser",
            "changes": [
                {
                    "zone": "成都高新区",
                    "kind": "changed",
                    "before": "力争地区生产总值增长7%以上。 ",
                    "after": "力争地区生产总值增长7%以上。",
                    "inline": [["=", "力争地区生产总值增长7%以上。"], ["-", " "]],
                }
            ],
        },
    ],
    "suspects": [
        {
            "url": "http://www.chinahightech.com/html/hotnews/yaowen/2024/0209/5701500.html",
            "title": "<img src=x onerror=alert(1)>国家高新区密集部署 2024年这样干!⑦",
            "reason": "low confidence: 0.31 (generic extractor, no zone headings found)",
            "fetched_at": "2024-02-09T10:15:02+08:00",
            "confidence": 0.31,
        },
        {
            "url": "javascript:alert(1)",
            "title": "国家高新区密集部署 2024年这样干!③",
            "reason": "body lost against previous revision: 12 of 2,874 characters kept",
            "fetched_at": "2024-02-10T04:00:00+08:00",
            "confidence": 0.9,
        },
    ],
    "availability": [
        {
            "url": "http://www.chinahightech.com/html/hotnews/yaowen/2024/0130/5699012.html",
            "title": "国家高新区密集部署 2024年这样干!①",
            "status": 404,
            "fetched_at": "2024-02-07T06:00:00+08:00",
        },
        {
            "url": "http://www.chinahightech.com/html/hotnews/yaowen/2024/0131/5699410.html",
            "title": "国家高新区密集部署 2024年这样干!②",
            "status": 503,
            "fetched_at": "2024-02-08T06:00:00+08:00",
        },
    ],
    "series": [
        {
            "year": 2023,
            "installment": i,
            "title": f"国家高新区密集部署 2023年这样干!{c}",
            "zones": n,
        }
        for i, (c, n) in enumerate(zip("①②③④⑤⑥⑦", [4, 5, 6, 5, 4, 5, 6], strict=True), 1)
    ]
    + [
        {
            "year": 2024,
            "installment": i,
            "title": f"国家高新区密集部署 2024年这样干!{c}",
            "zones": n,
        }
        for i, (c, n) in enumerate(zip("①②③④⑤⑥", [4, 5, 3, 6, 5, 4], strict=True), 1)
    ],
}
# sanity: inline ops reconstruct before/after
for ni in data["new_installments"]:
    for s in ni["sections"]:
        for ch in s["changes"]:
            b = "".join(x for o, x in ch["inline"] if o in "=-")
            a = "".join(x for o, x in ch["inline"] if o in "=+")
            assert b == (ch["before"] or ""), (b, ch["before"])
            assert a == (ch["after"] or ""), (a, ch["after"])
for r in data["revisions"]:
    for ch in r["changes"]:
        b = "".join(x for o, x in ch["inline"] if o in "=-")
        a = "".join(x for o, x in ch["inline"] if o in "=+")
        assert b == (ch["before"] or ""), (b, ch["before"])
        assert a == (ch["after"] or ""), (a, ch["after"])
zs = set(z for ni in data["new_installments"] for z in ni["zones"])
assert len(zs) == data["summary"]["zones_covered"], len(zs)
json.dump(
    data,
    open("tests/reports/data/sample_report.json", "w", encoding="utf-8"),
    ensure_ascii=False,
    indent=1,
)
