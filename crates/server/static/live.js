// A new installation's time zone: the browser's own (without this script the server uses Europe/Oslo).
(function () {
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return; }
  document.querySelectorAll("input[data-browser-time-zone]").forEach(function (field) {
    if (!field.value) field.value = zone;
  });
})();
// Live updates without a framework: the page works without this file.
// "meter" patches numbers in place; "refresh" fetches the page again and swaps its live parts.
(function () {
  var root = document.querySelector("[data-live-source]");
  if (!root || !window.EventSource) return;
  var source = new EventSource(root.getAttribute("data-live-source"));
  var fetching = false;
  function swap() {
    if (fetching) return;
    fetching = true;
    fetch(location.pathname, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        fetching = false;
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-region]").forEach(function (old) {
          var next = fresh.getElementById(old.id);
          if (next) old.replaceWith(next);
        });
      })
      .catch(function () { fetching = false; });
  }
  source.addEventListener("refresh", swap);
  source.addEventListener("meter", function (e) {
    var d = JSON.parse(e.data);
    var card = document.querySelector('[data-charger="' + d.charger + '"] [data-connector="' + d.connector + '"]');
    var fields = card ? card.querySelectorAll("[data-live]") : [];
    if (!fields.length) return swap();
    ["power", "current", "energy"].forEach(function (name) {
      var el = card.querySelector('[data-live="' + name + '"]');
      if (el && d[name]) el.textContent = d[name];
    });
  });
})();
document.querySelectorAll("[data-copy]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    var text = document.getElementById(button.getAttribute("data-copy")).textContent;
    if (navigator.clipboard) navigator.clipboard.writeText(text);
  });
});
