// The submission form, enhanced: drag and drop, "Add another file", and an upload progress bar.
// Without this script the form is a plain multipart form with a few rows of file + title.
// With it, only rows that have a file are sent, as repeated `files` and `titles` in the same
// order, through XMLHttpRequest so that upload progress can be shown. The server answers a
// successful upload with 204 and an HX-Redirect header, an invalid one with 400 and the form, a
// file over the size limit with 413 and the reason. A file over the limit (the form's
// data-max-bytes) is refused here before anything is sent.
(function () {
  "use strict";

  function rowsOf(form) {
    return Array.prototype.slice.call(form.querySelectorAll("[data-row]"));
  }

  function fileInput(row) {
    return row.querySelector('input[type="file"]');
  }

  function titleInput(row) {
    return row.querySelector('input[name="titles"]');
  }

  function hasFile(row) {
    var input = fileInput(row);
    return input.files && input.files.length > 0;
  }

  // Give a row the number `n` in its ids and labels ("File 2", "Title of file 2").
  function number(row, n) {
    var file = fileInput(row);
    var title = titleInput(row);
    var labels = row.querySelectorAll("label");
    file.id = "work-file-" + n;
    title.id = "work-title-" + n;
    labels[0].setAttribute("for", file.id);
    labels[0].textContent = "File " + n;
    labels[1].setAttribute("for", title.id);
    labels[1].textContent = "Title of file " + n;
  }

  function addRow(form) {
    var rows = rowsOf(form);
    var row = rows[0].cloneNode(true);
    fileInput(row).value = "";
    titleInput(row).value = "";
    rows[rows.length - 1].after(row);
    number(row, rows.length + 1);
    return row;
  }

  function emptyRow(form) {
    var rows = rowsOf(form);
    for (var i = 0; i < rows.length; i++) {
      if (!hasFile(rows[i])) return rows[i];
    }
    return addRow(form);
  }

  function addFiles(form, files) {
    var firstTitle = null;
    for (var i = 0; i < files.length; i++) {
      var row = emptyRow(form);
      var transfer = new DataTransfer();
      transfer.items.add(files[i]);
      fileInput(row).files = transfer.files;
      if (!firstTitle && !titleInput(row).value) firstTitle = titleInput(row);
    }
    if (firstTitle) firstTitle.focus();
  }

  // Keep the first row and any row in use; the others come back with "Add another file".
  function tidy(form) {
    rowsOf(form).forEach(function (row, i) {
      if (i > 0 && !hasFile(row) && !titleInput(row).value) row.remove();
    });
  }

  function formatBytes(n) {
    var units = ["bytes", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
  }

  // The server's own errors box, filled by the script (the same markup as the server's).
  function showMessage(form, message) {
    var box = form.querySelector('[data-errors="files"]');
    var list = document.createElement("ul");
    list.className = "errorlist";
    var item = document.createElement("li");
    item.textContent = message;
    list.appendChild(item);
    box.replaceChildren(list);
    box.scrollIntoView({ block: "center" });
  }

  // Why the server would refuse these files (too large, too many), or null.
  function refusal(form) {
    var limit = parseInt(form.dataset.maxBytes, 10);
    var most = parseInt(form.dataset.maxFiles, 10);
    var rows = rowsOf(form).filter(hasFile);
    if (most && rows.length > most) return "Send at most " + most + " files at once.";
    if (!limit) return null;
    for (var i = 0; i < rows.length; i++) {
      var file = fileInput(rows[i]).files[0];
      if (file.size > limit) {
        return (
          "“" + file.name + "” is larger than the limit of " + formatBytes(limit) +
          "; choose a smaller file."
        );
      }
    }
    return null;
  }

  function showErrors(form, html) {
    var answer = new DOMParser().parseFromString(html, "text/html");
    form.querySelectorAll("[data-errors]").forEach(function (box) {
      var fresh = answer.querySelector('[data-errors="' + box.dataset.errors + '"]');
      box.replaceChildren.apply(
        box,
        fresh ? Array.prototype.slice.call(fresh.childNodes).map(function (n) {
          return document.importNode(n, true);
        }) : []
      );
    });
    var first = form.querySelector("[data-errors] li");
    if (first) first.closest("[data-errors]").scrollIntoView({ block: "center" });
  }

  // Open `url`; reload when only its #fragment differs from this page's address, since the
  // browser would merely scroll and the new submission (and the success line) would not show.
  function go(url) {
    var target = new URL(url, window.location.href);
    var here = new URL(window.location.href);
    target.hash = here.hash = "";
    if (target.href === here.href) {
      window.location.hash = new URL(url, window.location.href).hash;
      window.location.reload();
    } else {
      window.location.assign(url);
    }
  }

  function send(form, event) {
    if (!window.FormData || !window.XMLHttpRequest) return; // the plain form submits
    event.preventDefault();
    var refused = refusal(form);
    if (refused) {
      showMessage(form, refused);
      return;
    }
    var data = new FormData(form);
    data.delete("files");
    data.delete("titles");
    rowsOf(form).forEach(function (row) {
      if (!hasFile(row)) return;
      data.append("files", fileInput(row).files[0]);
      data.append("titles", titleInput(row).value);
    });
    var bar = form.querySelector("progress");
    var box = form.querySelector("[data-progress]");
    var text = form.querySelector("[data-progress-text]");
    var button = form.querySelector('button[type="submit"]');
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("HX-Request", "true");
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var percent = Math.floor((e.loaded / e.total) * 100);
      bar.value = percent;
      bar.textContent = percent + "%";
      text.textContent =
        "Uploading… " + percent + "% (" + formatBytes(e.loaded) + " of " +
        formatBytes(e.total) + ")";
    });
    xhr.upload.addEventListener("load", function () {
      text.textContent = "Sent. Storing the files…";
    });
    xhr.addEventListener("load", function () {
      var next = xhr.getResponseHeader("HX-Redirect");
      if (xhr.status < 400 && next) {
        text.textContent = "Uploaded. Opening the order…";
        go(next);
        return;
      }
      finish();
      if (xhr.status === 400 || xhr.status === 413) {
        text.textContent = "Not sent: see the messages above.";
        showErrors(form, xhr.responseText);
      } else {
        text.textContent = "Not sent (error " + xhr.status + "). Reload the page and try again.";
      }
    });
    xhr.addEventListener("error", function () {
      finish();
      text.textContent = "The upload failed: check your connection and try again.";
    });
    function finish() {
      box.hidden = true;
      button.disabled = false;
    }
    button.disabled = true;
    bar.value = 0;
    box.hidden = false;
    text.textContent = "Uploading… 0%";
    xhr.send(data);
  }

  function enhance(form) {
    if (form.dataset.enhanced) return;
    form.dataset.enhanced = "yes";
    tidy(form);
    var add = form.querySelector("[data-add-row]");
    add.hidden = false;
    add.addEventListener("click", function () {
      fileInput(addRow(form)).focus();
    });
    var zone = form.querySelector("[data-dropzone]");
    if (window.DataTransfer) {
      zone.hidden = false;
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (e) {
          e.preventDefault();
          zone.classList.add("over");
        });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function () {
          zone.classList.remove("over");
        });
      });
      zone.addEventListener("drop", function (e) {
        e.preventDefault();
        if (e.dataTransfer && e.dataTransfer.files.length) addFiles(form, e.dataTransfer.files);
      });
    }
    form.addEventListener("submit", function (e) {
      send(form, e);
    });
  }

  function enhanceAll(root) {
    root = root || document;
    if (root.matches && root.matches("form[data-upload]")) enhance(root);
    root.querySelectorAll("form[data-upload]").forEach(enhance);
  }

  if (window.atelierUpload) {
    enhanceAll(); // loaded again by a swapped tab
    return;
  }
  window.atelierUpload = true;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      enhanceAll();
    });
  } else {
    enhanceAll();
  }
  // The order page switches tabs with htmx: enhance forms that arrive that way.
  document.addEventListener("htmx:load", function (e) {
    enhanceAll(e.target);
  });
})();
