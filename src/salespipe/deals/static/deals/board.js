// The pipeline board: drag cards between columns (SortableJS), move them with the keyboard through the
// move dialog, and keep the page in step with the server's answers (htmx out-of-band swaps).
// Without this file the board still works: "Move…" opens a page with a form, "Load more" opens a page.
(function () {
  "use strict";

  const board = () => document.getElementById("board");

  function say(regionId, text) {
    const region = document.getElementById(regionId);
    if (!region) return;
    region.replaceChildren();
    if (text) {
      const paragraph = document.createElement("p");
      paragraph.textContent = text;
      region.append(paragraph);
    }
  }

  // Cards are ordered biggest first (value, then id, descending), as the server pages them.
  function comesBefore(card, other) {
    const value = parseFloat(card.dataset.value);
    const otherValue = parseFloat(other.dataset.value);
    if (value !== otherValue) return value > otherValue;
    return parseInt(card.dataset.dealId, 10) > parseInt(other.dataset.dealId, 10);
  }

  // Put a card in its stage's column at its place in the order. A card that sorts after the last loaded
  // card goes to the end; "Load more" brings it again at its place and the older copy is dropped.
  function placeCard(card) {
    const list = document.getElementById("cards-" + card.dataset.stageId);
    if (!list) {
      card.remove();
      return;
    }
    let before = list.querySelector(":scope > .load-more");
    for (const other of list.querySelectorAll(":scope > .card")) {
      if (other !== card && comesBefore(card, other)) {
        before = other;
        break;
      }
    }
    if (card.parentElement !== list || card.nextElementSibling !== before) {
      list.insertBefore(card, before);
    }
  }

  function cardOf(dealId) {
    return document.getElementById("deal-" + dealId);
  }

  // --- talking to the server -------------------------------------------------------------------------

  let keyboardMove = null; // the deal id whose move came from the dialog, to bring focus back to it

  function sendMove(card, values) {
    card.classList.add("is-saving");
    card.setAttribute("aria-busy", "true");
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card,
      swap: "none",
      values: Object.assign({ version: card.dataset.version }, values),
    });
  }

  function refusalText(xhr) {
    const root = board();
    if (!xhr || !xhr.status) return root ? root.dataset.messageOffline : "";
    const type = xhr.getResponseHeader("Content-Type") || "";
    if (type.startsWith("text/plain") && xhr.responseText) return xhr.responseText;
    return root ? root.dataset.messageFailed : "";
  }

  document.addEventListener("htmx:afterRequest", (event) => {
    const source = event.detail.elt;
    if (!(source instanceof Element)) return;
    const dealId = source.dataset.dealId;
    if (!dealId || !(source.matches(".card") || source.matches(".move-form"))) return;
    const card = cardOf(dealId);
    if (event.detail.successful) {
      say("board-alert", "");
      return;
    }
    say("board-status", "");
    say("board-alert", refusalText(event.detail.xhr));
    if (card) {
      card.classList.remove("is-saving");
      card.removeAttribute("aria-busy");
      placeCard(card); // its stage did not change: back where it was
      if (keyboardMove === dealId) card.querySelector(".card-move")?.focus();
    }
    keyboardMove = null;
  });

  // --- the move dialog (keyboard, and the reason when a deal is dropped on Lost) ----------------------

  let dialogCard = null;

  function openMoveDialog(card, target) {
    const dialog = document.getElementById("move-dialog");
    if (!dialog) return false;
    const form = dialog.querySelector("form");
    form.action = card.dataset.moveUrl;
    form.dataset.dealId = card.dataset.dealId;
    form.elements.version.value = card.dataset.version;
    form.elements.to.value = target || card.dataset.stageId;
    form.elements.lost_reason.value = "";
    dialog.querySelector(".move-dialog-deal").textContent = card.dataset.title;
    syncLostReason(form);
    dialogCard = card;
    dialog.showModal();
    (target === "lost" ? form.elements.lost_reason : form.elements.to).focus();
    return true;
  }

  function syncLostReason(form) {
    const lost = form.elements.to.value === "lost";
    form.elements.lost_reason.required = lost;
    form.querySelector(".lost-reason").hidden = !lost;
  }

  function closeMoveDialog(cancelled) {
    const dialog = document.getElementById("move-dialog");
    const card = dialogCard;
    dialogCard = null;
    if (dialog && dialog.open) dialog.close();
    if (cancelled && card) {
      placeCard(card);
      card.querySelector(".card-move")?.focus();
    }
  }

  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest(".card-move") : null;
    if (link) {
      const card = link.closest(".card");
      if (card && openMoveDialog(card, null)) event.preventDefault();
      return;
    }
    if (event.target instanceof Element && event.target.matches("[data-dialog-cancel]")) {
      closeMoveDialog(true);
    }
  });

  document.addEventListener("change", (event) => {
    if (event.target instanceof HTMLSelectElement && event.target.closest(".move-form")) {
      syncLostReason(event.target.form);
    }
  });

  // Escape closes the dialog: treat it as Cancel so a card dropped on Lost goes back.
  document.addEventListener(
    "cancel",
    (event) => {
      if (event.target instanceof HTMLDialogElement && event.target.id === "move-dialog") {
        event.preventDefault();
        closeMoveDialog(true);
      }
    },
    true,
  );

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches(".move-form")) return;
    event.preventDefault();
    const card = dialogCard;
    closeMoveDialog(false);
    if (!card) return;
    keyboardMove = card.dataset.dealId;
    card.classList.add("is-saving");
    htmx.ajax("POST", form.action, { source: form, swap: "none" });
  });

  // A card answered by the server (moved, or loaded by "Load more") takes its place in its column.
  htmx.onLoad((element) => {
    if (element instanceof Element && element.matches(".card")) {
      for (const twin of document.querySelectorAll("#" + CSS.escape(element.id))) {
        if (twin !== element) twin.remove();
      }
      placeCard(element);
      if (keyboardMove === element.dataset.dealId) {
        keyboardMove = null;
        element.querySelector(".card-move")?.focus();
      }
    }
    if (element instanceof Element) setUpDragging(element);
  });

  // A won or lost deal leaves the board; bring focus to its column's heading instead of losing it.
  document.addEventListener("htmx:oobBeforeSwap", (event) => {
    const target = event.detail.target;
    if (!(target instanceof Element) || !target.matches(".card") || keyboardMove !== target.dataset.dealId) {
      return;
    }
    const incoming = event.detail.fragment && event.detail.fragment.firstElementChild;
    if (!incoming || !incoming.matches(".card")) {
      keyboardMove = null;
      const heading = document.getElementById("stage-title-" + target.dataset.stageId);
      setTimeout(() => heading && heading.focus(), 0);
    }
  });

  // --- dragging --------------------------------------------------------------------------------------

  function onDragEnd(event) {
    document.body.classList.remove("board-dragging");
    const card = event.item;
    const to = event.to;
    if (to === event.from) return;
    if (to.dataset.target === "won") {
      sendMove(card, { to: "won" });
    } else if (to.dataset.target === "lost") {
      if (!openMoveDialog(card, "lost")) placeCard(card);
    } else if (to.dataset.stageId) {
      sendMove(card, { to: to.dataset.stageId });
    }
  }

  function setUpDragging(root) {
    if (typeof Sortable === "undefined") return;
    const lists = [...root.querySelectorAll(".board-columns .cards, .dropzone")];
    if (root instanceof Element && root.matches(".board-columns .cards, .dropzone")) lists.push(root);
    for (const list of lists) {
      if (Sortable.get(list)) continue;
      const zone = list.matches(".dropzone");
      Sortable.create(list, {
        group: { name: "board", pull: !zone, put: true },
        sort: false,
        draggable: ".card",
        filter: ".card-move",
        preventOnFilter: false,
        delay: 200,
        delayOnTouchOnly: true,
        animation: 150,
        ghostClass: "card-ghost",
        chosenClass: "card-chosen",
        onStart: () => {
          say("board-alert", "");
          document.body.classList.add("board-dragging");
        },
        onEnd: onDragEnd,
      });
    }
  }

  setUpDragging(document);
})();
