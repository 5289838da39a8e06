// 棉包追溯页（扫码查询）：手机扫描棉包标签上的二维码打开 /t/<条码>，
// 展示棉包从棉田到公检的经过：产地（团场、连队）、追溯单元、加工企业与加工时间、
// 公检结果和优质棉判定。只调用平台公开的 GraphQL 接口 baleTrace，无需登录，
// 不含任何个人信息；不依赖任何框架。
'use strict';

(function () {
  var ENDPOINT = '/graphql';
  var QUERY = [
    'query($b: String!) {',
    '  baleTrace(barcode: $b) {',
    '    barcode season enterpriseName regionName unitCode pressedAt conditionedKg premium',
    '    inspection { colorGrade lengthMm strength micronaire uniformityPct trashPct moisturePct conditionedKg premium }',
    '  }',
    '}'
  ].join('\n');

  // GB 1103.1 颜色级代号.
  var COLOR = {
    '11': '白棉1级', '21': '白棉2级', '31': '白棉3级', '41': '白棉4级', '51': '白棉5级',
    '12': '淡点污棉1级', '22': '淡点污棉2级', '32': '淡点污棉3级',
    '13': '淡黄染棉1级', '23': '淡黄染棉2级', '33': '淡黄染棉3级',
    '14': '黄染棉1级', '24': '黄染棉2级'
  };

  function $(id) { return document.getElementById(id); }

  function esc(v) {
    return String(v == null ? '' : v).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function unit(v, u) { return v == null || v === '' ? '—' : esc(v) + (u ? ' ' + u : ''); }

  // Beijing time (the XPCC keeps it), whatever the phone's zone.
  function beijing(v) {
    var d = new Date(v);
    if (!v || isNaN(d.getTime())) return esc(v || '—');
    var t = new Date(d.getTime() + 8 * 3600 * 1000);
    function p(n) { return (n < 10 ? '0' : '') + n; }
    return t.getUTCFullYear() + '-' + p(t.getUTCMonth() + 1) + '-' + p(t.getUTCDate()) + ' ' + p(t.getUTCHours()) + ':' + p(t.getUTCMinutes());
  }

  function color(c) {
    if (c == null || c === '') return '—';
    return COLOR[c] ? esc(c) + '（' + COLOR[c] + '）' : esc(c);
  }

  function kv(rows) {
    return '<dl class="kv">' + rows.map(function (r) { return '<dt>' + r[0] + '</dt><dd>' + r[1] + '</dd>'; }).join('') + '</dl>';
  }

  function step(id, tag, title, body, todo) {
    return '<li id="' + id + '" class="step card' + (todo ? ' todo' : '') + '"><div class="tag">' + tag + '</div><h3>' + title + '</h3>' + body + '</li>';
  }

  function show(id) {
    ['loading', 'trace', 'not-found', 'failure'].forEach(function (s) { $(s).hidden = s !== id; });
  }

  function render(t) {
    var i = t.inspection;
    $('barcode').textContent = t.barcode;
    $('season').textContent = t.season + '年度 · ' + t.regionName;
    $('verdict').innerHTML = t.premium
      ? '<span class="badge premium">优质棉</span>'
      : (i ? '<span class="badge">已公检</span>' : '<span class="badge pending">待公检</span>');
    var html = '';
    html += step('step-origin', '棉田', '产地', kv([
      ['植棉地区', esc(t.regionName)],
      ['追溯单元', esc(t.unitCode)],
      ['棉花年度', esc(t.season) + '年度']
    ]));
    html += step('step-ginning', '轧花', '加工', kv([
      ['加工企业', esc(t.enterpriseName)],
      ['加工时间', beijing(t.pressedAt) + '<span class="muted">（北京时间）</span>'],
      ['公定重量', unit(t.conditionedKg, 'kg')]
    ]));
    html += i
      ? step('step-inspection', '公检', '纤维公证检验', kv([
          ['颜色级', color(i.colorGrade)],
          ['长度', unit(i.lengthMm, 'mm')],
          ['断裂比强度', unit(i.strength, 'cN/tex')],
          ['马克隆值', unit(i.micronaire)],
          ['长度整齐度', unit(i.uniformityPct, '%')],
          ['含杂率', unit(i.trashPct, '%')],
          ['回潮率', unit(i.moisturePct, '%')],
          ['公定重量', unit(i.conditionedKg, 'kg')]
        ]))
      : step('step-inspection', '公检', '纤维公证检验', '<p class="muted">该棉包尚未公检，公检结果导入后在此显示。</p>', true);
    html += step('step-grade', '品质', '优质棉判定',
      t.premium
        ? '<p><span class="badge premium">优质棉</span> 达到本年度优质棉标准（长度、断裂比强度、马克隆值）。</p>'
        : (i ? '<p>未达到本年度优质棉标准。</p>' : '<p class="muted">待公检后判定。</p>'),
      !i);
    $('story').innerHTML = html;
    document.title = t.barcode + ' · 棉包追溯';
    show('trace');
  }

  function notFound(barcode, detail) {
    $('not-found-detail').textContent = detail || ('条码 ' + barcode + ' 没有追溯记录：可能条码有误，或该棉包未参与追溯。');
    show('not-found');
    $('lookup').hidden = false;
  }

  function failure(detail) {
    $('failure-detail').textContent = detail;
    show('failure');
  }

  function lookup(barcode) {
    show('loading');
    var xhr = new XMLHttpRequest();
    xhr.open('POST', ENDPOINT);
    xhr.setRequestHeader('Content-Type', 'application/json');
    xhr.timeout = 15000;
    xhr.onload = function () {
      var resp;
      try { resp = JSON.parse(xhr.responseText); } catch (e) { return failure('服务器返回了无法识别的内容，请稍后重试。'); }
      var err = resp.errors && resp.errors[0];
      if (err) {
        var code = err.extensions && err.extensions.code;
        if (code === 'VALIDATION') return notFound(barcode, err.message);
        return failure(err.message || '查询失败，请稍后重试。');
      }
      var t = resp.data && resp.data.baleTrace;
      return t ? render(t) : notFound(barcode);
    };
    xhr.onerror = xhr.ontimeout = function () { failure('网络异常，请检查网络后重试。'); };
    xhr.send(JSON.stringify({ query: QUERY, variables: { b: barcode } }));
  }

  var path = location.pathname.replace(/^\/t\/?/, '');
  var barcode;
  try { barcode = decodeURIComponent(path).trim(); } catch (e) { barcode = path; }

  $('lookup').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var code = $('code').value.trim();
    if (code) location.href = '/t/' + encodeURIComponent(code);
  });
  $('retry').addEventListener('click', function () { lookup(barcode); });

  if (barcode) {
    $('code').value = barcode;
    lookup(barcode);
  } else {
    $('loading').hidden = true;
    $('lookup').hidden = false;
  }
})();
