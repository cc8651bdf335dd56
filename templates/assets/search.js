/* presskit search: reads the index that `presskit build` writes under search/data/ (see
   presskit/search.py for its format). No library, no network beyond this site's own files. */
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box || !window.fetch || !window.URLSearchParams) return;
  var indexUrl = box.getAttribute("data-index");
  var text = box.dataset;
  var form = box.querySelector(".search-form");
  var input = box.querySelector("#search-q");
  var filtersBox = box.querySelector(".search-filters");
  var status = box.querySelector(".search-status");
  var namesList = box.querySelector(".search-names");
  var list = box.querySelector(".search-results");
  var moreButton = box.querySelector(".search-more");
  if (!window.DecompressionStream) {  // browsers before 2023: say so rather than nothing
    status.textContent = text.failed;
    return;
  }
  var numbers = new Intl.NumberFormat(text.numberLocale || undefined);
  var plurals = new Intl.PluralRules(text.numberLocale || undefined);
  var PAGE = 10;
  var FILTERS = Array.prototype.map.call(box.querySelectorAll(".search-filter"), function (f) {
    return f.getAttribute("data-filter");
  });

  // Folding, as presskit.search.fold: lower case, no accents, đ as d.
  var LETTERS = { "đ": "d", "ð": "d", "ø": "o", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "ħ": "h", "ŧ": "t" };
  var SPECIAL = /[đðøłßæœıħŧ]/g;
  function fold(s) {
    return s.toLowerCase().replace(SPECIAL, function (c) { return LETTERS[c]; })
      .normalize("NFKD").replace(/\p{M}/gu, "").replace(SPECIAL, function (c) { return LETTERS[c]; });
  }
  function terms(s) { return fold(s).match(/[\p{L}\p{N}]+/gu) || []; }

  var DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var VALUE = {};
  for (var i = 0; i < DIGITS.length; i++) VALUE[DIGITS.charAt(i)] = i;
  function decode(s) {
    var out = [], value = 0, shift = 0;
    for (var i = 0; i < s.length; i++) {
      var d = VALUE[s.charAt(i)];
      value |= (d & 31) << shift;
      if (d & 32) { shift += 5; } else { out.push(value); value = 0; shift = 0; }
    }
    return out;
  }
  function decodeList(s) {
    var gaps = decode(s), out = new Array(gaps.length), last = -1;
    for (var i = 0; i < gaps.length; i++) { last += gaps[i] + 1; out[i] = last; }
    return out;
  }
  // Places in a list by date, from the steps between them (0, -1, 1, -2... as 0, 1, 2, 3...).
  function decodeOrder(s) {
    var steps = decode(s), out = new Array(steps.length), last = -1;
    for (var i = 0; i < steps.length; i++) {
      last += 1 + (steps[i] & 1 ? -(steps[i] >> 1) - 1 : steps[i] >> 1);
      out[i] = last;
    }
    return out;
  }
  function decodePairs(s, into, exact) {
    var v = decode(s), last = -1;
    for (var i = 0; i + 1 < v.length; i += 2) {
      last += v[i] + 1;
      var weight = v[i + 1] + (exact ? 64 : 0);
      var had = into.get(last);
      if (had === undefined || had < weight) into.set(last, weight);
    }
  }

  // The index's files are gzipped JSON (.jsonz), opened here whatever the server sends.
  function getJSON(path) {
    return fetch(indexUrl + path).then(function (r) {
      if (!r.ok) throw new Error(r.status + " " + path);
      return new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).json();
    });
  }
  var meta = null, shards = {}, cards = {};
  function shard(path) {
    if (!shards[path]) shards[path] = getJSON(path);
    return shards[path];
  }
  // A release's number (its year, then a slot found from its address: meta.numbers lists
  // them, meta.order by date) names its card, in base 36.
  function card(n) {
    if (!cards[n]) cards[n] = getJSON("f/" + n.toString(36) + ".jsonz");
    return cards[n];
  }

  // The releases with a word starting with `term` (only the word itself for one letter):
  // a Map of release number to weight, an exact word weighing more.
  // Each word's releases are in two shards: those of the newest year in r/ (named by fewer
  // letters), the others in s/.
  function postings(term) {
    function holds(k) {
      return term.length > 1 ? (k.indexOf(term) === 0 || term.indexOf(k) === 0) : k === term;
    }
    var paths = meta.shards.filter(holds).map(function (k) { return "s/" + k + ".jsonz"; })
      .concat(meta.newest_shards.filter(holds).map(function (k) { return "r/" + k + ".jsonz"; }));
    return Promise.all(paths.map(shard)).then(function (found) {
      var into = new Map();
      found.forEach(function (words) {
        for (var word in words) {
          if (word === term) decodePairs(words[word], into, true);
          else if (term.length > 1 && word.indexOf(term) === 0) decodePairs(words[word], into, false);
        }
      });
      return into;
    });
  }

  var state = { q: "", chosen: {} };
  FILTERS.forEach(function (f) { state.chosen[f] = []; });
  var results = [], shown = 0, run = 0;

  function readAddress() {
    var params = new URLSearchParams(window.location.search);
    state.q = params.get("q") || "";
    FILTERS.forEach(function (f) { state.chosen[f] = params.getAll(f); });
    input.value = state.q;
  }
  function writeAddress() {
    var params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    FILTERS.forEach(function (f) { state.chosen[f].forEach(function (v) { params.append(f, v); }); });
    var query = params.toString();
    history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
  }

  function search() {
    var mine = ++run;
    var words = terms(state.q);
    if (!words.length && !FILTERS.some(function (f) { return state.chosen[f].length; })) {
      results = []; shown = 0;
      list.textContent = ""; namesList.hidden = true; moreButton.hidden = true;
      status.textContent = "";
      drawFilters(null);
      return;
    }
    Promise.all(words.map(postings)).then(function (found) {
      if (mine !== run) return;
      var matched = null;
      if (words.length) {
        matched = [];
        var idf = found.map(function (m) { return Math.log(1 + meta.count / Math.max(1, m.size)); });
        found[0].forEach(function (weight, n) {
          var title = 0, score = 0;
          for (var i = 0; i < found.length; i++) {
            var w = i === 0 ? weight : found[i].get(n);
            if (w === undefined) return;
            if (w & 16) title++;
            score += idf[i] * ((w & 15) + (w & 64 ? 2 : 0) + (w & 16 ? 8 : 0));
          }
          matched.push({ n: n, title: title, score: score, age: meta.rank.get(n) });
        });
      }
      var masks = filterMasks();
      var chosen = FILTERS.filter(function (f) { return masks[f]; });
      var inAll = function (n, except) {
        for (var i = 0; i < chosen.length; i++) {
          if (chosen[i] !== except && !masks[chosen[i]].has(n)) return false;
        }
        return true;
      };
      var base = matched ? matched : allReleases();
      results = chosen.length ? base.filter(function (r) { return inAll(r.n, null); }) : base;
      // the newest first among equals
      results.sort(function (a, b) {
        return b.title - a.title || b.score - a.score || b.age - a.age;
      });
      drawFilters(base, inAll);
      drawNames(words);
      list.textContent = "";
      shown = 0;
      say(results.length);
      showMore(words);
    }).catch(failed);
  }

  function allReleases() {  // newest first
    return meta.byDate.map(function (n, at) { return { n: n, title: 0, score: 0, age: at }; }).reverse();
  }

  // For each filter with chosen values: which releases have one of them.
  function filterMasks() {
    var masks = {};
    FILTERS.forEach(function (f) {
      var chosen = state.chosen[f];
      if (!chosen.length) { masks[f] = null; return; }
      var mask = new Set();
      (meta.filters[f] || []).forEach(function (value) {
        if (chosen.indexOf(value[0]) >= 0) value[3].forEach(function (n) { mask.add(n); });
      });
      masks[f] = mask;
    });
    return masks;
  }

  function say(count) {
    if (count === 0) { status.textContent = text.foundNone; return; }
    var form = "found" + plurals.select(count).replace(/^./, function (c) { return c.toUpperCase(); });
    status.textContent = (text[form] || text.foundOther || "").replace("{n}", numbers.format(count));
  }

  // Which releases of `base` pass every chosen filter but `except`'s.
  function member(base, inAll, except) {
    var found = new Set();
    for (var i = 0; i < base.length; i++) {
      if (inAll(base[i].n, except)) found.add(base[i].n);
    }
    return found;
  }

  function drawFilters(base, inAll) {
    // With no filter chosen, the same releases count for every filter.
    var shared = base && !FILTERS.some(function (f) { return state.chosen[f].length; })
      ? member(base, inAll, null) : null;
    FILTERS.forEach(function (f) {
      var values = meta.filters[f] || [];
      var fieldset = box.querySelector('.search-filter[data-filter="' + f + '"]');
      var ul = fieldset.querySelector(".filter-values");
      var counts = null;
      if (base) {
        var inBase = shared || member(base, inAll, f);
        counts = values.map(function (value) {
          var c = 0;
          value[3].forEach(function (n) { if (inBase.has(n)) c++; });
          return c;
        });
      }
      var items = values.map(function (value, i) {
        return { key: value[0], label: value[1], count: counts ? counts[i] : value[3].length };
      }).filter(function (item) {
        return item.count > 0 || state.chosen[f].indexOf(item.key) >= 0;
      });
      if (f !== "year") items.sort(function (a, b) { return b.count - a.count || a.label.localeCompare(b.label); });
      ul.textContent = "";
      fieldset.hidden = items.length === 0;
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        if (i >= 8 && state.chosen[f].indexOf(item.key) < 0) li.className = "filter-extra";
        var label = document.createElement("label");
        var box_ = document.createElement("input");
        box_.type = "checkbox"; box_.name = f; box_.value = item.key;
        box_.checked = state.chosen[f].indexOf(item.key) >= 0;
        var count = document.createElement("span");
        count.className = "count";
        count.textContent = "(" + numbers.format(item.count) + ")";
        label.append(box_, " " + item.label + " ", count);
        li.appendChild(label);
        ul.appendChild(li);
      });
      var toggle = fieldset.querySelector(".filter-all");
      var extra = ul.querySelectorAll(".filter-extra").length;
      if (extra && !toggle) {
        toggle = document.createElement("button");
        toggle.type = "button"; toggle.className = "filter-all";
        toggle.setAttribute("aria-expanded", "false");
        toggle.addEventListener("click", function () {
          var open = fieldset.classList.toggle("filter-open");
          toggle.setAttribute("aria-expanded", open ? "true" : "false");
        });
        fieldset.appendChild(toggle);
      }
      if (toggle) {
        toggle.hidden = !extra;
        toggle.textContent = "+ " + numbers.format(extra);
        toggle.setAttribute("aria-label", fieldset.querySelector("legend").textContent + ": " + numbers.format(items.length));
      }
    });
    filtersBox.hidden = false;
  }

  function drawNames(words) {
    namesList.textContent = "";
    if (!words.length) { namesList.hidden = true; return; }
    var found = meta.names.filter(function (name) {
      var all = name.words || (name.words = terms(name[2].join(" ")));
      return words.every(function (w) { return all.some(function (a) { return a.indexOf(w) === 0; }); });
    }).slice(0, 6);
    found.forEach(function (name) {
      var li = document.createElement("li");
      var kind = document.createElement("span");
      kind.className = "label";
      kind.textContent = name[0];
      var a = document.createElement("a");
      a.href = name[3];
      a.textContent = name[1];
      li.append(kind, " ", a);
      namesList.appendChild(li);
    });
    namesList.hidden = found.length === 0;
    namesList.setAttribute("aria-label", text.names);
  }

  function showMore(words) {
    var mine = run;
    var next = results.slice(shown, shown + PAGE);
    shown += next.length;
    moreButton.hidden = shown >= results.length;
    return Promise.all(next.map(function (r) { return card(r.n); })).then(function (found) {
      if (mine !== run) return;
      var firstNew = null;
      found.forEach(function (c) {
        var li = drawResult(c, words);
        list.appendChild(li);
        firstNew = firstNew || li;
      });
      return firstNew;
    }).catch(failed);
  }

  function drawResult(c, words) {
    var li = document.createElement("li");
    li.className = "search-result";
    var metaLine = document.createElement("p");
    metaLine.className = "meta";
    var kind = document.createElement("span");
    kind.className = "label";
    kind.textContent = c.k;
    metaLine.append(kind, " " + [c.d, c.w].filter(Boolean).join(", "));
    var h = document.createElement("h2");
    h.className = "card-title";
    var a = document.createElement("a");
    a.href = c.u;
    marked(a, c.t, words);
    h.appendChild(a);
    li.append(h, metaLine);
    var excerpt = document.createElement("p");
    excerpt.className = "search-excerpt";
    marked(excerpt, excerptOf(c.x || c.s || "", words), words);
    li.appendChild(excerpt);
    return li;
  }

  // The words of `s` that start with a searched word, in <mark>.
  function marked(parent, s, words) {
    var at = 0, m, re = /[\p{L}\p{M}\p{N}]+/gu;
    while ((m = re.exec(s))) {
      if (!matches(m[0], words)) continue;
      if (m.index > at) parent.append(s.slice(at, m.index));
      var mark = document.createElement("mark");
      mark.textContent = m[0];
      parent.appendChild(mark);
      at = m.index + m[0].length;
    }
    if (at < s.length) parent.append(s.slice(at));
  }
  function matches(word, words) {
    var f = fold(word);
    return words.some(function (w) { return f === w || (w.length > 1 && f.indexOf(w) === 0); });
  }
  // About 30 words around the first one found, or the start of the text.
  function excerptOf(s, words) {
    var re = /[\p{L}\p{M}\p{N}]+/gu, m, starts = [], hit = -1;
    while ((m = re.exec(s))) {
      starts.push(m.index);
      if (hit < 0 && words.length && matches(m[0], words)) hit = starts.length - 1;
      if (hit >= 0 && starts.length > Math.max(0, hit - 8) + 32) break;
    }
    if (hit < 0) hit = 0;
    var from = Math.max(0, hit - 8);
    var begin = from > 0 ? starts[from] : 0;
    var end = starts.length > from + 32 ? starts[from + 32] : s.length;
    return (begin > 0 ? "… " : "") + s.slice(begin, end).trim() + (end < s.length ? " …" : "");
  }

  function failed() {
    status.textContent = text.failed;
  }

  var timer = 0;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      state.q = input.value.trim();
      writeAddress();
      search();
    }, 40);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    state.q = input.value.trim();
    writeAddress();
    search();
  });
  filtersBox.addEventListener("change", function (event) {
    var target = event.target;
    if (!target || target.type !== "checkbox") return;
    var chosen = state.chosen[target.name];
    var at = chosen.indexOf(target.value);
    if (target.checked && at < 0) chosen.push(target.value);
    if (!target.checked && at >= 0) chosen.splice(at, 1);
    writeAddress();
    search();
  });
  moreButton.addEventListener("click", function () {
    showMore(terms(state.q)).then(function (first) {
      if (first) { first.querySelector("a").focus(); }
    });
  });
  window.addEventListener("popstate", function () { readAddress(); search(); });

  readAddress();
  // Filters open beside the results on a wide screen; on a phone, behind their heading.
  filtersBox.open = !window.matchMedia || window.matchMedia("(min-width: 56rem)").matches ||
    FILTERS.some(function (f) { return state.chosen[f].length; });
  box.classList.add("search-ready");
  status.textContent = text.loading;
  getJSON("meta.jsonz").then(function (found) {
    meta = found;
    var ascending = decodeList(meta.numbers);
    meta.byDate = decodeOrder(meta.order).map(function (place) { return ascending[place]; });  // oldest first
    meta.rank = new Map(meta.byDate.map(function (n, at) { return [n, at]; }));
    FILTERS.forEach(function (f) {
      (meta.filters[f] || []).forEach(function (value) {  // by date: their numbers
        value[3] = decodeList(value[2]).map(function (place) { return meta.byDate[place]; });
      });
    });
    status.textContent = "";
    search();
  }).catch(failed);
})();
