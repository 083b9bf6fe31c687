/**
 * The interface's words in English and French. The language comes from a
 * choice remembered in localStorage, else from navigator.language. Sentences
 * the server writes (errors, system notices) stay as the server wrote them.
 */

import { signal } from "@preact/signals";
import { readPref, writePref } from "./prefs.ts";

/** A language of the interface. */
export type Lang = "en" | "fr";

/** Every language, with its own name for the switcher. */
export const LANGS: { lang: Lang; name: string }[] = [
  { lang: "en", name: "English" },
  { lang: "fr", name: "Français" },
];

const EN = {
  "app.title": "Chat",
  "app.connecting": "Connecting…",
  "app.conversation": "Conversation",
  "app.noscript": "This chat needs JavaScript.",

  "banner.lost": "Connection lost — reconnecting…",
  "banner.lostIn": "Connection lost — reconnecting in {s} s…",
  "banner.retry": "Retry now",
  "banner.retryLabel": "Reconnect now",

  "login.guest": "Guest",
  "login.signin": "Sign in",
  "login.register": "Create account",
  "login.welcome": "Welcome to Chat",
  "login.leadGuest": "Pick a name to join the conversation.",
  "login.leadSignin": "Welcome back. Sign in to your account.",
  "login.leadRegister": "Create an account to keep your name.",
  "login.removed": "You were removed from the chat",
  "login.how": "How to join",
  "login.username": "Username",
  "login.password": "Password",
  "login.longEnough": "✓ Long enough",
  "login.passwordHint": "At least {n} characters ({len}/{n})",
  "login.joinGuest": "Join as guest",
  "login.creating": "Creating…",
  "login.signingIn": "Signing in…",
  "login.hintGuest":
    "Letters, digits and _ - . — up to {n} characters. Guest names are free again when you leave.",
  "login.hint": "Letters, digits and _ - . — up to {n} characters.",
  "login.language": "Language",

  "error.offline": "Not connected to the server yet. Try again in a moment.",
  "error.nameRules":
    "Usernames are 1 to {n} letters or digits, plus _ - . and no spaces.",
  "error.nameTaken":
    'The name "{name}" is taken. Pick another one, or sign in if it is your account.',
  "error.accountTaken": 'The name "{name}" is already taken. Pick another one.',
  "error.badCredentials": "Wrong username or password.",
  "error.sessionEnded": "Your session has ended. Sign in again.",
  "error.enterName": "Enter a username.",
  "error.passwordShort": "A password needs at least {n} characters.",
  "error.enterPassword": "Enter your password.",
  "error.reLogin": "Could not log in again: {message}",
  "error.rejoin": "Could not rejoin #{room}: {message}",
  "error.notInRoom": "you are no longer in #{room}.",
  "error.notConnected": "Not connected to the server.",
  "error.timeout": "The server did not answer in time.",
  "error.lost": "The connection was lost.",
  "error.unreadable": "The server sent a reply this client cannot read.",
  "error.removed": "A moderator removed you from the chat.",
  "error.enterRoom": "Enter a room name.",
  "notice.moved": "You were moved to #general: {text}",

  "sidebar.label": "Rooms and conversations",
  "sidebar.rooms": "Rooms",
  "sidebar.createRoom": "Create a room",
  "sidebar.newRoom": "New room name",
  "sidebar.dms": "Direct messages",
  "sidebar.dmsEmpty": "Click a member's name, or type",
  "sidebar.roomLabel": "{room}, {n} online",
  "sidebar.roomUnread": "{room}, {n} unread",
  "sidebar.dmLabel": "Conversation with {name}",
  "sidebar.dmUnread": "{name}, {n} unread",
  "sidebar.closeDm": "Close conversation with {name}",
  "sidebar.close": "Close",
  "sidebar.muted": "Muted",

  "sidebar.moreRooms": "More rooms",
  "sidebar.private": "private",
  "sidebar.online": "online",
  "sidebar.unreadCount": "unread",
  "sidebar.mentionCount": "mentioning you",

  "create.private": "Private: invite only",
  "create.submit": "Create",

  "header.invite": "Invite people",
  "header.private": "Private room",

  "invite.title": "Invite people to #{room}",
  "invite.byName": "Add someone by name",
  "invite.name": "Username",
  "invite.add": "Add",
  "invite.added": "{user} was added to #{room}.",
  "invite.links": "Invite links",
  "invite.maxUses": "Uses",
  "invite.unlimited": "No limit",
  "invite.expires": "Expires after",
  "invite.never": "Never",
  "invite.hour": "1 hour",
  "invite.day": "1 day",
  "invite.week": "7 days",
  "invite.create": "Create link",
  "invite.copy": "Copy",
  "invite.copied": "Copied",
  "invite.copyFailed": "Select the link and copy it.",
  "invite.revoke": "Revoke",
  "invite.link": "Invite link",
  "invite.uses": "used {uses} of {max}",
  "invite.usesNoMax": "used {uses}",
  "invite.expiresAt": "expires {date}",
  "invite.none": "No links yet.",
  "invite.managersOnly":
    "Only the room's owner and moderators make invite links.",
  "invite.invalid":
    "This invite link no longer works: it was revoked, has expired or has been used up. Ask for a new one.",
  "invite.unknown": "This invite link does not open any room.",
  "invite.needsAccount": "Sign in with an account to join this private room.",

  "menu.remove": "Remove from #{room}",
  "menu.removed": "{user} was removed from #{room}.",

  "me.online": "Online",
  "me.onlineGuest": "Online · guest",
  "me.reconnecting": "Reconnecting…",
  "me.logout": "Log out",
  "me.menu": "Settings",
  "me.language": "Language",
  "me.notifications": "Desktop notifications",
  "me.notifyOn": "On",
  "me.notifyOff": "Off — turn on",
  "me.notifyBlocked": "Blocked in the browser's site settings",
  "me.notifyUnsupported": "Not available in this browser",

  "header.showRooms": "Show rooms",
  "header.dm": "Direct message",
  "header.back": "Back to #{room}",
  "header.people": "People in this room",
  "header.showMembers": "Show members ({n})",
  "header.leave": "Leave",
  "header.leaveRoom": "Leave {room}",
  "header.options": "Options for {name}",
  "header.mute": "Mute notifications",
  "header.unmute": "Unmute notifications",
  "header.closeDm": "Close conversation",
  "header.online": "Online",
  "header.mutedBadge": "Muted",
  "header.membersWord": "members",

  "members.title": "Members — {n}",
  "members.label": "Members",
  "members.message": "Message {name}",
  "members.you": "you",
  "members.online": "Online",
  "members.close": "Close members",
  "members.messagePrefix": "Message",

  "menu.actionsFor": "Actions for {name}",
  "menu.sendMessage": "Send message",
  "menu.kick": "Kick",
  "menu.banRoom": "Ban from this room",
  "menu.banServer": "Ban from server",
  "menu.generalBan":
    "Nobody can be banned from #general alone: ban from the server.",
  "menu.kickTitle": "Kick {name}",
  "menu.banRoomTitle": "Ban {name} from #{room}",
  "menu.banServerTitle": "Ban {name} from the server",
  "menu.reason": "Reason (optional)",
  "menu.reasonPlaceholder": "Shown to them",
  "menu.back": "Back",
  "menu.ban": "Ban",

  "list.label": "Messages in {title}",
  "list.welcome": "Welcome to {title}",
  "list.roomStart": "This is the start of the room.",
  "list.dmStart":
    "This is the start of your private conversation with {title}. Only the two of you can read it.",
  "list.today": "Today",
  "list.yesterday": "Yesterday",
  "list.new": "New",
  "list.jump": "Jump to latest",
  "list.newBelow": "{n} new messages",
  "list.newBelowOne": "1 new message",
  "list.loadingOlder": "Loading older messages…",

  "msg.you": "you",
  "msg.edited": "(edited)",
  "msg.editedAt": "Edited {date}",
  "msg.deleted": "message deleted",
  "msg.notSent": "Not sent: {error}",
  "msg.unknownError": "unknown error",
  "msg.retry": "Retry",
  "msg.retryLabel": "Retry sending",
  "msg.dismiss": "Dismiss",
  "msg.dismissLabel": "Dismiss failed message",
  "msg.actions": "Message actions",
  "msg.edit": "Edit",
  "msg.editLabel": "Edit message",
  "msg.delete": "Delete",
  "msg.deleteLabel": "Delete message",
  "msg.deleteConfirm": "Delete this message?",
  "msg.cancel": "Cancel",
  "msg.save": "Save",
  "msg.editHint": "Esc to cancel · Enter to save",
  "msg.editBox": "Edit your message",
  "msg.mentionsYou": "Mentions you",

  "file.download": "Download {name}",
  "file.downloadPrefix": "Download",
  "file.open": "Open {name} full size",
  "file.viewer": "Image: {name}",
  "file.close": "Close",
  "file.sent": "sent a file",
  "file.sentMany": "sent {n} files",

  "composer.message": "Message {target}",
  "composer.send": "Send message",
  "composer.attach": "Attach files",
  "composer.signInToShare": "Sign in to share files",
  "composer.uploading": "Uploading {name}…",
  "composer.uploaded": "{name}, ready to send",
  "composer.uploadingShort": "Uploading…",
  "composer.remove": "Remove {name}",
  "composer.failed": "{name}: {error}",
  "composer.hintSend": "send",
  "composer.hintLine": "new line",
  "composer.hintEdit": "edit your last message",
  "composer.hintHelp": "commands",
  "composer.drop": "Drop files to share in {target}",
  "composer.tooMany": "At most {n} files per message.",
  "composer.files": "Files to send",

  "upload.tooLarge": "This file is too large.",
  "upload.signIn": "Sign in to share files.",
  "upload.failed": "Upload failed ({status}).",
  "upload.offline": "Cannot reach the server.",

  "typing.one": "{a} is typing…",
  "typing.two": "{a} and {b} are typing…",
  "typing.many": "Several people are typing…",

  "notify.banner":
    "Get a desktop notification for direct messages and mentions.",
  "notify.enable": "Enable desktop notifications",
  "notify.later": "Not now",
  "notify.roomTitle": "{user} in #{room}",
  "notify.dmTitle": "{user}",
  "notify.dmTag": "Direct message",

  "size.b": "{n} B",
  "size.kb": "{n} KB",
  "size.mb": "{n} MB",
  "size.gb": "{n} GB",
};

/** A key of the dictionary. */
export type MessageKey = keyof typeof EN;

const FR: Record<MessageKey, string> = {
  "app.title": "Chat",
  "app.connecting": "Connexion…",
  "app.conversation": "Conversation",
  "app.noscript": "Ce chat a besoin de JavaScript.",

  "banner.lost": "Connexion perdue — reconnexion…",
  "banner.lostIn": "Connexion perdue — reconnexion dans {s} s…",
  "banner.retry": "Réessayer",
  "banner.retryLabel": "Se reconnecter maintenant",

  "login.guest": "Invité",
  "login.signin": "Se connecter",
  "login.register": "Créer un compte",
  "login.welcome": "Bienvenue sur Chat",
  "login.leadGuest": "Choisissez un nom pour rejoindre la conversation.",
  "login.leadSignin": "Bon retour. Connectez-vous à votre compte.",
  "login.leadRegister": "Créez un compte pour garder votre nom.",
  "login.removed": "Vous avez été retiré du chat",
  "login.how": "Comment entrer",
  "login.username": "Nom d'utilisateur",
  "login.password": "Mot de passe",
  "login.longEnough": "✓ Assez long",
  "login.passwordHint": "Au moins {n} caractères ({len}/{n})",
  "login.joinGuest": "Entrer en invité",
  "login.creating": "Création…",
  "login.signingIn": "Connexion…",
  "login.hintGuest":
    "Lettres, chiffres et _ - . — {n} caractères au plus. Un nom d'invité se libère quand vous partez.",
  "login.hint": "Lettres, chiffres et _ - . — {n} caractères au plus.",
  "login.language": "Langue",

  "error.offline": "Pas encore connecté au serveur. Réessayez dans un instant.",
  "error.nameRules":
    "Un nom compte de 1 à {n} lettres ou chiffres, plus _ - . et aucune espace.",
  "error.nameTaken":
    "Le nom « {name} » est pris. Choisissez-en un autre, ou connectez-vous si c'est votre compte.",
  "error.accountTaken":
    "Le nom « {name} » est déjà pris. Choisissez-en un autre.",
  "error.badCredentials": "Nom d'utilisateur ou mot de passe incorrect.",
  "error.sessionEnded": "Votre session a pris fin. Reconnectez-vous.",
  "error.enterName": "Saisissez un nom d'utilisateur.",
  "error.passwordShort": "Un mot de passe compte au moins {n} caractères.",
  "error.enterPassword": "Saisissez votre mot de passe.",
  "error.reLogin": "Impossible de se reconnecter : {message}",
  "error.rejoin": "Impossible de revenir dans #{room} : {message}",
  "error.notInRoom": "vous n'êtes plus dans #{room}.",
  "error.notConnected": "Pas connecté au serveur.",
  "error.timeout": "Le serveur n'a pas répondu à temps.",
  "error.lost": "La connexion a été perdue.",
  "error.unreadable": "Le serveur a envoyé une réponse illisible.",
  "error.removed": "Un modérateur vous a retiré du chat.",
  "error.enterRoom": "Saisissez un nom de salon.",
  "notice.moved": "Vous avez été déplacé dans #general : {text}",

  "sidebar.label": "Salons et conversations",
  "sidebar.rooms": "Salons",
  "sidebar.createRoom": "Créer un salon",
  "sidebar.newRoom": "Nom du nouveau salon",
  "sidebar.dms": "Messages privés",
  "sidebar.dmsEmpty": "Cliquez sur le nom d'un membre, ou tapez",
  "sidebar.roomLabel": "{room}, {n} en ligne",
  "sidebar.roomUnread": "{room}, {n} non lus",
  "sidebar.dmLabel": "Conversation avec {name}",
  "sidebar.dmUnread": "{name}, {n} non lus",
  "sidebar.closeDm": "Fermer la conversation avec {name}",
  "sidebar.close": "Fermer",
  "sidebar.muted": "En sourdine",

  "sidebar.moreRooms": "Autres salons",
  "sidebar.private": "privé",
  "sidebar.online": "en ligne",
  "sidebar.unreadCount": "non lus",
  "sidebar.mentionCount": "vous mentionnant",

  "create.private": "Privé : sur invitation",
  "create.submit": "Créer",

  "header.invite": "Inviter des personnes",
  "header.private": "Salon privé",

  "invite.title": "Inviter dans #{room}",
  "invite.byName": "Ajouter quelqu'un par son nom",
  "invite.name": "Nom d'utilisateur",
  "invite.add": "Ajouter",
  "invite.added": "{user} a été ajouté à #{room}.",
  "invite.links": "Liens d'invitation",
  "invite.maxUses": "Utilisations",
  "invite.unlimited": "Sans limite",
  "invite.expires": "Expire après",
  "invite.never": "Jamais",
  "invite.hour": "1 heure",
  "invite.day": "1 jour",
  "invite.week": "7 jours",
  "invite.create": "Créer un lien",
  "invite.copy": "Copier",
  "invite.copied": "Copié",
  "invite.copyFailed": "Sélectionnez le lien et copiez-le.",
  "invite.revoke": "Révoquer",
  "invite.link": "Lien d'invitation",
  "invite.uses": "utilisé {uses} fois sur {max}",
  "invite.usesNoMax": "utilisé {uses} fois",
  "invite.expiresAt": "expire le {date}",
  "invite.none": "Aucun lien pour l'instant.",
  "invite.managersOnly":
    "Seuls le propriétaire du salon et les modérateurs créent des liens.",
  "invite.invalid":
    "Ce lien d'invitation ne fonctionne plus : il a été révoqué, a expiré ou a servi son nombre de fois. Demandez-en un nouveau.",
  "invite.unknown": "Ce lien d'invitation n'ouvre aucun salon.",
  "invite.needsAccount":
    "Connectez-vous avec un compte pour rejoindre ce salon privé.",

  "menu.remove": "Retirer de #{room}",
  "menu.removed": "{user} a été retiré de #{room}.",

  "me.online": "En ligne",
  "me.onlineGuest": "En ligne · invité",
  "me.reconnecting": "Reconnexion…",
  "me.logout": "Se déconnecter",
  "me.menu": "Réglages",
  "me.language": "Langue",
  "me.notifications": "Notifications de bureau",
  "me.notifyOn": "Activées",
  "me.notifyOff": "Désactivées — activer",
  "me.notifyBlocked": "Bloquées dans les réglages du navigateur",
  "me.notifyUnsupported": "Indisponibles dans ce navigateur",

  "header.showRooms": "Afficher les salons",
  "header.dm": "Message privé",
  "header.back": "Retour à #{room}",
  "header.people": "Personnes dans ce salon",
  "header.showMembers": "Afficher les membres ({n})",
  "header.leave": "Quitter",
  "header.leaveRoom": "Quitter {room}",
  "header.options": "Options de {name}",
  "header.mute": "Mettre en sourdine",
  "header.unmute": "Réactiver les notifications",
  "header.closeDm": "Fermer la conversation",
  "header.online": "En ligne",
  "header.mutedBadge": "Sourdine",
  "header.membersWord": "membres",

  "members.title": "Membres — {n}",
  "members.label": "Membres",
  "members.message": "Écrire à {name}",
  "members.you": "vous",
  "members.online": "En ligne",
  "members.close": "Fermer les membres",
  "members.messagePrefix": "Écrire à",

  "menu.actionsFor": "Actions pour {name}",
  "menu.sendMessage": "Envoyer un message",
  "menu.kick": "Expulser",
  "menu.banRoom": "Bannir de ce salon",
  "menu.banServer": "Bannir du serveur",
  "menu.generalBan":
    "On ne peut pas bannir de #general seul : bannissez du serveur.",
  "menu.kickTitle": "Expulser {name}",
  "menu.banRoomTitle": "Bannir {name} de #{room}",
  "menu.banServerTitle": "Bannir {name} du serveur",
  "menu.reason": "Motif (facultatif)",
  "menu.reasonPlaceholder": "Affiché à la personne",
  "menu.back": "Retour",
  "menu.ban": "Bannir",

  "list.label": "Messages de {title}",
  "list.welcome": "Bienvenue dans {title}",
  "list.roomStart": "C'est le début du salon.",
  "list.dmStart":
    "C'est le début de votre conversation privée avec {title}. Vous seuls pouvez la lire.",
  "list.today": "Aujourd'hui",
  "list.yesterday": "Hier",
  "list.new": "Nouveau",
  "list.jump": "Aller aux derniers messages",
  "list.newBelow": "{n} nouveaux messages",
  "list.newBelowOne": "1 nouveau message",
  "list.loadingOlder": "Chargement des messages plus anciens…",

  "msg.you": "vous",
  "msg.edited": "(modifié)",
  "msg.editedAt": "Modifié le {date}",
  "msg.deleted": "message supprimé",
  "msg.notSent": "Non envoyé : {error}",
  "msg.unknownError": "erreur inconnue",
  "msg.retry": "Réessayer",
  "msg.retryLabel": "Renvoyer",
  "msg.dismiss": "Ignorer",
  "msg.dismissLabel": "Ignorer le message non envoyé",
  "msg.actions": "Actions du message",
  "msg.edit": "Modifier",
  "msg.editLabel": "Modifier le message",
  "msg.delete": "Supprimer",
  "msg.deleteLabel": "Supprimer le message",
  "msg.deleteConfirm": "Supprimer ce message ?",
  "msg.cancel": "Annuler",
  "msg.save": "Enregistrer",
  "msg.editHint": "Échap pour annuler · Entrée pour enregistrer",
  "msg.editBox": "Modifier votre message",
  "msg.mentionsYou": "Vous mentionne",

  "file.download": "Télécharger {name}",
  "file.downloadPrefix": "Télécharger",
  "file.open": "Ouvrir {name} en grand",
  "file.viewer": "Image : {name}",
  "file.close": "Fermer",
  "file.sent": "a envoyé un fichier",
  "file.sentMany": "a envoyé {n} fichiers",

  "composer.message": "Écrire dans {target}",
  "composer.send": "Envoyer le message",
  "composer.attach": "Joindre des fichiers",
  "composer.signInToShare": "Connectez-vous pour partager des fichiers",
  "composer.uploading": "Envoi de {name}…",
  "composer.uploaded": "{name}, prêt à partir",
  "composer.uploadingShort": "Envoi…",
  "composer.remove": "Retirer {name}",
  "composer.failed": "{name} : {error}",
  "composer.hintSend": "envoyer",
  "composer.hintLine": "nouvelle ligne",
  "composer.hintEdit": "modifier le dernier message",
  "composer.hintHelp": "commandes",
  "composer.drop": "Déposez des fichiers pour les partager dans {target}",
  "composer.tooMany": "{n} fichiers au plus par message.",
  "composer.files": "Fichiers à envoyer",

  "upload.tooLarge": "Ce fichier est trop gros.",
  "upload.signIn": "Connectez-vous pour partager des fichiers.",
  "upload.failed": "Échec de l'envoi ({status}).",
  "upload.offline": "Impossible de joindre le serveur.",

  "typing.one": "{a} écrit…",
  "typing.two": "{a} et {b} écrivent…",
  "typing.many": "Plusieurs personnes écrivent…",

  "notify.banner":
    "Recevez une notification de bureau pour les messages privés et les mentions.",
  "notify.enable": "Activer les notifications de bureau",
  "notify.later": "Plus tard",
  "notify.roomTitle": "{user} dans #{room}",
  "notify.dmTitle": "{user}",
  "notify.dmTag": "Message privé",

  "size.b": "{n} o",
  "size.kb": "{n} Ko",
  "size.mb": "{n} Mo",
  "size.gb": "{n} Go",
};

const DICTIONARIES: Record<Lang, Record<MessageKey, string>> = {
  en: EN,
  fr: FR,
};

/** The interface's language; components that call {@linkcode t} re-render when it changes. */
export const lang = signal<Lang>(initialLang());

/** The sentence for `key` in the current language, with `{name}` placeholders filled. */
export function t(
  key: MessageKey,
  params: Record<string, string | number> = {},
): string {
  const template = DICTIONARIES[lang.value][key] ?? EN[key];
  return template.replace(
    /\{(\w+)\}/g,
    (whole, name: string) => name in params ? String(params[name]) : whole,
  );
}

/** Switches the language and remembers the choice. */
export function setLang(next: Lang): void {
  lang.value = next;
  writePref("lang", next);
  document.documentElement.lang = next;
}

/** The remembered choice, else the browser's first language we speak, else English. */
function initialLang(): Lang {
  const saved = readPref("lang");
  if (saved === "en" || saved === "fr") return saved;
  const wanted = typeof navigator === "undefined"
    ? []
    : navigator.languages ?? [navigator.language];
  for (const tag of wanted) {
    const base = tag.toLowerCase().split("-")[0];
    if (base === "fr" || base === "en") return base;
  }
  return "en";
}
