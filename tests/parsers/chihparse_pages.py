"""Small page builders for the parser tests: the older chih.cn template and an unknown design."""

from __future__ import annotations

# Invented body paragraphs in the series' style (long enough to read as article text).
P1 = "2月4日，威海高新区召开2024年工作会议，提出要抓好10项攻坚行动，奋力开创经济社会发展新局面。"
P2 = "会议提出，全年力争新落地过10亿元项目10个以上，固定资产投资增长5%，规模以上工业产值增长8%，实际利用外资继续保持全市领先。"
P3 = "2月1日，天津高新区召开2024年工作会议，要求持续打造创新高地、产业高地和改革开放高地，奋力谱写高质量发展新篇章。"
P4 = "会议指出，要集聚高端创新要素，推动科技成果转化和科技创业，力争新增国家高新技术企业300家以上。"
INTRO = "2024年是实现“十四五”规划目标任务的关键一年。连日来，多个国家高新区召开会议，对2024年各项工作进行研究和部署。"

SERIES_TITLE = "国家高新区密集部署&nbsp;2024年这样干！⑤"

_CHROME_TOP = """
<div class="top"><a href="/">首页</a> | <a href="/login">登录</a></div>
<div class="nav"><ul><li><a href="/a">热点</a></li><li><a href="/b">要闻</a></li><li><a href="/c">高新区</a></li>
<li><a href="/d">产业</a></li><li><a href="/e">科技</a></li><li><a href="/f">人物</a></li></ul></div>
<div class="weizhi">首页&gt;热点 &gt; 要闻 &gt; &gt; 正文</div>
"""
_CHROME_SIDE = """
<div class="right">
 <div class="paihang"><h3>排行</h3><ul class="tab"><li>全部/</li><li>本月</li></ul>
  <ul><li><a href="/1.html">国家高新区密集部署 2024年这样干！③</a></li><li><a href="/2.html">某高新区一季度经济运行平稳</a></li>
  <li><a href="/3.html">科技企业孵化器建设提速</a></li><li><a href="/4.html">产业园区数字化转型观察</a></li></ul></div>
 <div class="tuijian"><h3>编辑推荐</h3><ul><li><a href="/5.html">创新驱动发展的高新实践</a></li><li><a href="/6.html">园区营商环境再优化</a></li></ul></div>
 <div class="ewm"><img src="qr1.png"/><p>扫描添加 中国高新技术产业导报</p><p>（数字报）</p><img src="qr2.png"/><p>扫描添加 中国高新APP客户端</p></div>
</div>
"""
_FOOTER = """
<div class="footer"><p>关于我们 | 联系我们 | 广告服务</p><p>版权所有：中国高新网 京ICP备00000000号</p></div>
<script>var _hmt = _hmt || []; document.write("统计代码，不是正文。");</script>
"""

COPYRIGHT = """<div class="banquan"><p>版权与免责声明：</p>
<p>①凡本站注明稿件来源为：中国高新技术产业导报、中国高新网、中高新传媒的所有文字、图片和音视频稿件，版权均属本网所有。</p>
<p>② 任何单位或个人认为本网站或本网站链接内容可能涉嫌侵犯其合法权益，应该及时向本网站书面反馈。</p>
<p>③如因作品内容、版权和其他问题需要与本网联系的，请在该事由发生之日起30日内进行。电话：010-68667266</p></div>"""


def old_page(
    body: str,
    *,
    title: str = SERIES_TITLE,
    addtime: str = "2024-02-06 08:53:40",
    source: str = "来源：中国高新技术产业导报&nbsp;&nbsp;评论：0",
    charset_meta: str | None = '<meta charset="utf-8">',
    after_content: str = COPYRIGHT,
) -> str:
    """A page of the older chih.cn article template (title_nr / addtime / source / content)."""
    meta = charset_meta or ""
    return f"""<!DOCTYPE html>
<html><head>{meta}<title>{title}_中国高新网</title>
<style>.content p {{ text-indent: 2em; }}</style>
<script>function share() {{ return "分享到微信"; }}</script></head>
<body>{_CHROME_TOP}
<div class="main"><div class="left">
<div class="title_nr"><h1>{title}</h1></div>
<div class="addtime">{addtime}</div>
<div class="source">{source}</div>
<div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>
<div class="content">
{body}
</div>
{after_content}
<div class="xiangguan"><h3>相关新闻</h3><ul><li><a href="/7.html">国家高新区密集部署 2024年这样干！④</a></li></ul></div>
</div>{_CHROME_SIDE}</div>{_FOOTER}
</body></html>"""


def new_page(
    body: str,
    *,
    title: str = SERIES_TITLE,
    byline: str = '<span class="pub">2025-01-17 09:12</span><span>来源：中国高新技术产业导报</span>',
    head_extra: str = "",
) -> str:
    """A page in a design no profile knows (invented classes), for the generic extractor."""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}-中国高新网</title>{head_extra}</head>
<body>
<header class="site-head"><a class="logo" href="/">中国高新网</a>
<ul class="menu"><li><a href="/yaowen/">要闻</a></li><li><a href="/gxq/">高新区</a></li><li><a href="/cy/">产业</a></li></ul></header>
<div class="wrap">
 <div class="col-l">
  <h1 class="art-tit">{title}</h1>
  <div class="art-info">{byline}</div>
  <div class="art-body" id="artBody">
{body}
  </div>
  <div class="art-foot"><a href="/prev.html">上一篇：某高新区新闻</a> <a href="/next.html">下一篇：另一篇新闻</a></div>
 </div>
 <div class="col-r"><div class="hot"><h3>热门文章</h3><ol><li><a href="/h1.html">高新区动态一</a></li><li><a href="/h2.html">高新区动态二</a></li>
 <li><a href="/h3.html">高新区动态三</a></li><li><a href="/h4.html">高新区动态四</a></li><li><a href="/h5.html">高新区动态五</a></li></ol></div></div>
</div>
<div class="foot">Copyright 中国高新网 版权所有</div>
</body></html>"""


def series_body(
    h1: str = "<p>&nbsp;&nbsp;威海高新区&nbsp;&nbsp;</p>",
    h2: str = "<p>&nbsp;&nbsp;天津高新区&nbsp;&nbsp;</p>",
) -> str:
    """Intro + two zones, with the given heading markup."""
    return f"""<p>&nbsp;&nbsp;{INTRO}</p>
{h1}
<p>　　{P1}</p>
<p>　　{P2}</p>
{h2}
<p>　　{P3}</p>
<p>　　{P4}</p>
<p style="text-align: right;">（责任编辑：韩梦晨）</p>"""
