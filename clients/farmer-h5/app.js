// 棉农查询页：手机号 + 短信验证码登录，查看追溯单元审核结果、交售记录（磅单与追溯卡）、
// 关联棉包的公检结果和优质棉分配。只用平台公开的 GraphQL 接口，不依赖任何框架。
'use strict';

(function () {
  var ENDPOINT = '/graphql';
  var STORE = 'cotton-h5-session';

  var RESULTS_QUERY = [
    'query($season: Int) {',
    '  me { phone displayName }',
    '  myResults(season: $season) {',
    '    growerIds',
    '    premiumShares { unit { id code name season } seedKg shareKg }',
    '    units {',
    '      id code name kind season status totalAreaMu processing',
    '      region { name }',
    '      members { grower { id name } plots { code areaMu } areaMu }',
    '      reviews { action reason at by { username displayName org { name } } }',
    '    }',
    '    tickets {',
    '      id ticketNo season grossKg tareKg netKg moisturePct trashPct lintYieldPct lintTargetKg',
    '      moduleCount weighedAt late plots { code } traceUnit { name }',
    '      card {',
    '        cardNo status moduleType moduleCount targetLintKg processedLintKg processableBales printedAt',
    '        bales {',
    '          barcode netKg conditionedKg traced pressedAt',
    '          inspection { colorGrade lengthMm strength micronaire uniformityPct trashPct moisturePct conditionedKg premium }',
    '        }',
    '      }',
    '    }',
    '  }',
    '}'
  ].join('\n');

  var UNIT_STATUS = { PENDING: '待审核', APPROVED: '审核通过', REJECTED: '已驳回', DISSOLVED: '已解散' };
  var UNIT_KIND = { FREE: '自由组团', COMPANY: '连队组团', COOPERATIVE: '合作社组团' };
  var REVIEW_ACTION = { SUBMIT: '提交审核', APPROVE: '审核通过', REJECT: '驳回', REVOKE: '撤销审核', MODIFY: '修改', DISSOLVE: '解散' };
  var CARD_STATUS = { PRINTED: '已打印', EXPORTED: '已导出', PROCESSING: '加工中', FINISHED: '加工完成' };
  var MODULE_TYPE = { ROUND_MODULE: '圆模', RECTANGULAR_MODULE: '方模', LOOSE: '散籽棉' };

  function $(id) { return document.getElementById(id); }

  function esc(v) {
    return String(v == null ? '' : v).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  function kg(v) { return v == null || v === '' ? '—' : esc(v) + ' kg'; }
  function pct(v) { return v == null || v === '' ? '—' : esc(v) + '%'; }
  function val(v) { return v == null || v === '' ? '—' : esc(v); }

  function time(v) {
    if (!v) return '—';
    var d = new Date(v);
    if (isNaN(d.getTime())) return esc(v);
    function p(n) { return (n < 10 ? '0' : '') + n; }
    return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' + p(d.getHours()) + ':' + p(d.getMinutes());
  }

  // Sum of decimal strings to 0.01 (in hundredths, so no binary-float drift).
  function sumKg(list) {
    var cents = 0;
    list.forEach(function (s) { cents += Math.round(parseFloat(s || '0') * 100); });
    var neg = cents < 0; cents = Math.abs(cents);
    var whole = Math.floor(cents / 100), frac = cents % 100;
    var out = String(whole) + (frac ? '.' + (frac < 10 ? '0' : '') + frac : '');
    return (neg ? '-' : '') + out.replace(/(\.\d)0$/, '$1');
  }

  // ------------------------------------------------------------ session

  function session() {
    try { return JSON.parse(localStorage.getItem(STORE) || 'null'); } catch (e) { return null; }
  }
  function saveSession(auth) {
    localStorage.setItem(STORE, JSON.stringify({
      accessToken: auth.accessToken, refreshToken: auth.refreshToken, phone: auth.account && auth.account.phone
    }));
  }
  function clearSession() { localStorage.removeItem(STORE); }

  function GqlError(message, code) { this.message = message; this.code = code; }

  function gql(query, variables, token) {
    var headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    return fetch(ENDPOINT, { method: 'POST', headers: headers, body: JSON.stringify({ query: query, variables: variables || {} }) })
      .then(function (r) { return r.json(); }, function () { throw new GqlError('网络连接失败，请检查网络后重试', 'NETWORK'); })
      .then(function (body) {
        if (body.errors && body.errors.length) {
          var e = body.errors[0];
          throw new GqlError(e.message || '请求失败', (e.extensions && e.extensions.code) || 'ERROR');
        }
        return body.data;
      });
  }

  // An authenticated request: on UNAUTHENTICATED, one refresh and a retry.
  function authed(query, variables) {
    var s = session();
    if (!s) return Promise.reject(new GqlError('请先登录', 'UNAUTHENTICATED'));
    return gql(query, variables, s.accessToken).catch(function (e) {
      if (e.code !== 'UNAUTHENTICATED' || !s.refreshToken) throw e;
      return gql('mutation($r: String!) { refresh(refreshToken: $r) { accessToken refreshToken account { phone } } }', { r: s.refreshToken })
        .then(function (d) { saveSession(d.refresh); return gql(query, variables, d.refresh.accessToken); });
    });
  }

  // ------------------------------------------------------------ views

  function show(view) {
    $('login-view').hidden = view !== 'login';
    $('results-view').hidden = view !== 'results';
    $('logout').hidden = view !== 'results';
    $('loading').hidden = view !== 'loading';
  }

  function loginMessage(text) {
    var m = $('login-msg');
    m.textContent = text || '';
    m.hidden = !text;
  }

  var countdownTimer = null;
  function countdown(seconds) {
    var b = $('send-code');
    clearInterval(countdownTimer);
    b.disabled = true;
    var left = seconds;
    b.textContent = left + '秒后重发';
    countdownTimer = setInterval(function () {
      left -= 1;
      if (left <= 0) {
        clearInterval(countdownTimer);
        b.disabled = false;
        b.textContent = '获取验证码';
      } else {
        b.textContent = left + '秒后重发';
      }
    }, 1000);
  }

  function phoneValue() { return $('phone').value.replace(/\s+/g, ''); }

  function sendCode() {
    var phone = phoneValue();
    loginMessage('');
    if (!/^1\d{10}$/.test(phone)) { loginMessage('请输入正确的11位手机号'); return; }
    $('send-code').disabled = true;
    gql('mutation($p: String!) { sendSmsCode(phone: $p) }', { p: phone })
      .then(function () {
        countdown(60);
        $('code').focus();
        // Dev/demo servers expose the codes they "sent"; production refuses this query.
        return gql('query($p: String!) { devSmsCodes(phone: $p) }', { p: phone }).then(function (d) {
          var code = d.devSmsCodes && d.devSmsCodes[0];
          if (!code) return;
          var hint = $('dev-hint');
          hint.innerHTML = '演示环境验证码：<b id="dev-code">' + esc(code) + '</b><button type="button" id="fill-code">填入</button>';
          hint.hidden = false;
          $('fill-code').onclick = function () { $('code').value = code; };
        }, function () { /* not a dev server: no hint */ });
      })
      .catch(function (e) {
        $('send-code').disabled = false;
        loginMessage(e.message);
      });
  }

  function login(ev) {
    if (ev) ev.preventDefault();
    var phone = phoneValue();
    var code = $('code').value.trim();
    loginMessage('');
    if (!/^1\d{10}$/.test(phone)) { loginMessage('请输入正确的11位手机号'); return; }
    if (!/^\d{6}$/.test(code)) { loginMessage('请输入6位短信验证码'); return; }
    $('login-btn').disabled = true;
    gql('mutation($p: String!, $c: String!) { growerLogin(phone: $p, code: $c) { accessToken refreshToken account { phone } } }', { p: phone, c: code })
      .then(function (d) {
        saveSession(d.growerLogin);
        $('code').value = '';
        $('dev-hint').hidden = true;
        return loadResults();
      })
      .catch(function (e) { loginMessage(e.message); })
      .then(function () { $('login-btn').disabled = false; });
  }

  function logout() {
    clearSession();
    $('results').innerHTML = '';
    show('login');
  }

  function loadResults() {
    show('loading');
    return authed(RESULTS_QUERY, { season: null })
      .then(function (d) { render(d.me, d.myResults); show('results'); })
      .catch(function (e) {
        if (e.code === 'UNAUTHENTICATED' || e.code === 'FORBIDDEN') {
          clearSession();
          show('login');
          loginMessage(e.code === 'FORBIDDEN' ? e.message : '登录已过期，请重新登录');
        } else {
          show('results');
          $('results').innerHTML = '<div class="card msg">' + esc(e.message) + '</div>';
        }
      });
  }

  // ------------------------------------------------------------ rendering

  function render(me, r) {
    var tickets = r.tickets || [], units = r.units || [], shares = r.premiumShares || [];
    var bales = [];
    tickets.forEach(function (t) { if (t.card) bales = bales.concat(t.card.bales || []); });
    $('who').textContent = '手机号 ' + (me.phone || '') + (me.displayName ? ' · ' + me.displayName : '');

    var html = '';
    html += '<div class="summary">' +
      '<div class="stat"><b id="premium-total">' + esc(sumKg(shares.map(function (s) { return s.shareKg; }))) + '</b><span>优质棉份额 kg</span></div>' +
      '<div class="stat"><b>' + tickets.length + '</b><span>交售磅单</span></div>' +
      '<div class="stat"><b>' + bales.length + '</b><span>关联棉包</span></div>' +
      '</div>';

    html += '<div class="section-title">优质棉分配</div>';
    html += shares.length ? shares.map(renderShare).join('') : '<div class="card empty">暂无优质棉分配（公检结果导入后显示）</div>';

    html += '<div class="section-title">追溯单元与审核结果</div>';
    html += units.length ? units.map(function (u) { return renderUnit(u, r.growerIds || []); }).join('') : '<div class="card empty">您的地块尚未加入追溯单元</div>';

    html += '<div class="section-title">交售记录</div>';
    html += tickets.length ? tickets.slice().reverse().map(renderTicket).join('') : '<div class="card empty">暂无交售记录</div>';

    $('results').innerHTML = html;
  }

  function renderShare(s) {
    return '<div class="card share-row" data-unit="' + esc(s.unit.id) + '">' +
      '<div class="head"><h3>' + esc(s.unit.name) + '</h3><span class="badge">' + esc(s.unit.season) + '年度</span></div>' +
      '<dl class="kv">' +
      '<dt>我的优质棉份额</dt><dd><span class="share">' + esc(s.shareKg) + '</span> kg</dd>' +
      '<dt>计入分配的交售籽棉</dt><dd>' + kg(s.seedKg) + '</dd>' +
      '<dt>追溯单元编号</dt><dd>' + esc(s.unit.code) + '</dd>' +
      '</dl></div>';
  }

  // "My plots" are those of the members that are the signed-in grower: found by
  // roster id, since co-members' mobiles come back masked.
  function renderUnit(u, myGrowerIds) {
    var mine = (u.members || []).filter(function (m) { return m.grower && myGrowerIds.indexOf(m.grower.id) >= 0; });
    var myPlots = [];
    mine.forEach(function (m) { (m.plots || []).forEach(function (p) { myPlots.push(esc(p.code) + '（' + esc(p.areaMu) + '亩）'); }); });
    var reviews = (u.reviews || []).map(function (r) {
      var by = r.by ? (r.by.org && r.by.org.name) || r.by.displayName || r.by.username : '';
      return '<li><b>' + esc(REVIEW_ACTION[r.action] || r.action) + '</b> · ' + time(r.at) + (by ? ' · ' + esc(by) : '') +
        (r.reason ? '<div class="reason">意见：' + esc(r.reason) + '</div>' : '') + '</li>';
    }).join('');
    return '<div class="card unit" data-status="' + esc(u.status) + '">' +
      '<div class="head"><h3>' + esc(u.name) + '</h3><span class="badge s-' + esc(u.status) + '">' + esc(UNIT_STATUS[u.status] || u.status) + '</span></div>' +
      '<dl class="kv">' +
      '<dt>单元编号</dt><dd>' + esc(u.code) + '</dd>' +
      '<dt>年度 / 组团方式</dt><dd>' + esc(u.season) + ' · ' + esc(UNIT_KIND[u.kind] || u.kind) + '</dd>' +
      '<dt>所属连队</dt><dd>' + esc(u.region ? u.region.name : '') + '</dd>' +
      '<dt>单元面积</dt><dd>' + esc(u.totalAreaMu) + ' 亩 · ' + (u.members || []).length + ' 户</dd>' +
      (myPlots.length ? '<dt>我的地块</dt><dd>' + myPlots.join('、') + '</dd>' : '') +
      (u.processing ? '<dt>加工状态</dt><dd>已开始加工</dd>' : '') +
      '</dl>' +
      (reviews ? '<div class="sub"><div class="muted">审核记录</div><ol class="timeline">' + reviews + '</ol></div>' : '') +
      '</div>';
  }

  function renderTicket(t) {
    var c = t.card;
    var card = '';
    if (c) {
      var bales = (c.bales || []).map(renderBale).join('');
      card = '<div class="sub">' +
        '<div class="head"><h3>追溯卡 ' + esc(c.cardNo) + '</h3><span class="badge s-' + esc(c.status) + '">' + esc(CARD_STATUS[c.status] || c.status) + '</span></div>' +
        '<dl class="kv">' +
        '<dt>打卡时间</dt><dd>' + time(c.printedAt) + '</dd>' +
        '<dt>模块</dt><dd>' + esc(MODULE_TYPE[c.moduleType] || c.moduleType) + ' × ' + esc(c.moduleCount) + '</dd>' +
        '<dt>折皮棉公定重量</dt><dd>' + kg(c.targetLintKg) + '</dd>' +
        '<dt>已加工皮棉</dt><dd>' + kg(c.processedLintKg) + '</dd>' +
        '<dt>可加工包数</dt><dd>' + esc(c.processableBales) + ' 包</dd>' +
        '</dl>' +
        (bales ? '<div class="muted" style="margin-top:8px">关联棉包（' + c.bales.length + '）</div>' + bales : '<div class="muted" style="margin-top:6px">尚未关联棉包</div>') +
        '</div>';
    } else {
      card = '<div class="sub muted">' + (t.late ? '超过实时上传时限，不能打印追溯卡' : '尚未打印追溯卡') + '</div>';
    }
    return '<div class="card ticket">' +
      '<div class="head"><h3>磅单 ' + esc(t.ticketNo) + '</h3><span class="badge">' + esc(t.season) + '年度</span></div>' +
      '<dl class="kv">' +
      '<dt>过磅时间</dt><dd>' + time(t.weighedAt) + '</dd>' +
      '<dt>毛重 / 皮重</dt><dd>' + kg(t.grossKg) + ' / ' + kg(t.tareKg) + '</dd>' +
      '<dt>净重</dt><dd>' + kg(t.netKg) + '</dd>' +
      '<dt>回潮率 / 含杂率</dt><dd>' + pct(t.moisturePct) + ' / ' + pct(t.trashPct) + '</dd>' +
      '<dt>衣分率</dt><dd>' + pct(t.lintYieldPct) + '</dd>' +
      '<dt>地块</dt><dd>' + (t.plots || []).map(function (p) { return esc(p.code); }).join('、') + '</dd>' +
      (t.traceUnit ? '<dt>追溯单元</dt><dd>' + esc(t.traceUnit.name) + '</dd>' : '') +
      '</dl>' + card + '</div>';
  }

  function renderBale(b) {
    var i = b.inspection;
    var badge = i ? (i.premium ? '<span class="badge premium">优质棉</span>' : '<span class="badge">已公检</span>') : '<span class="badge">待公检</span>';
    var grid = i ?
      '<div class="grid">' +
      '<div><span>颜色级</span>' + val(i.colorGrade) + '</div>' +
      '<div><span>长度</span>' + val(i.lengthMm) + (i.lengthMm ? ' mm' : '') + '</div>' +
      '<div><span>断裂比强度</span>' + val(i.strength) + '</div>' +
      '<div><span>马克隆值</span>' + val(i.micronaire) + '</div>' +
      '<div><span>整齐度</span>' + pct(i.uniformityPct) + '</div>' +
      '<div><span>含杂率</span>' + pct(i.trashPct) + '</div>' +
      '<div><span>回潮率</span>' + pct(i.moisturePct) + '</div>' +
      '<div><span>公定重量</span>' + kg(i.conditionedKg) + '</div>' +
      '</div>' :
      '<div class="grid"><div><span>净重</span>' + kg(b.netKg) + '</div><div><span>公定重量</span>' + kg(b.conditionedKg) + '</div><div><span>成包时间</span>' + time(b.pressedAt) + '</div></div>';
    return '<div class="bale" data-barcode="' + esc(b.barcode) + '"><div class="head"><b>棉包 ' + esc(b.barcode) + '</b>' + badge + '</div>' + grid + '</div>';
  }

  // ------------------------------------------------------------ start

  $('send-code').addEventListener('click', sendCode);
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  $('reload').addEventListener('click', loadResults);

  if (session()) {
    loadResults();
  } else {
    show('login');
  }
})();
