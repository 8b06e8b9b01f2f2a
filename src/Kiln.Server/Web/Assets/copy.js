// Progressive enhancement: buttons with data-copy copy the text of the element it names. Without this
// script the value is still plain, selectable text.
document.addEventListener('click', function (e) {
  var b = e.target.closest('button[data-copy]');
  if (!b || !navigator.clipboard) return;
  var el = document.getElementById(b.getAttribute('data-copy'));
  if (!el) return;
  e.preventDefault();
  navigator.clipboard.writeText(el.textContent.trim()).then(function () {
    var old = b.textContent; b.textContent = 'Copied'; setTimeout(function () { b.textContent = old; }, 1500);
  });
});
document.querySelectorAll('button[data-copy]').forEach(function (b) { b.hidden = false; });
