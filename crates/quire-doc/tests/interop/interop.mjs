// Interop check between Quire's Rust content mapping and TipTap 3 / y-tiptap.
//
// Usage (from a scratch dir with the npm packages installed, see README.md):
//   node interop.mjs schema                      print the TipTap schema's nodes/marks and their attrs
//   node interop.mjs to-json  <update.bin>       load a Yjs v1 update, print the PM JSON TipTap reads from `default`
//   node interop.mjs from-json <pm.json> <out.bin>  write PM JSON through TipTap's schema into `default`, save the v1 update
//   node interop.mjs dump <update.bin>           print the raw Yjs tree of `default` (tags, attributes, text deltas)
//   node interop.mjs from-html <doc.html>        parse HTML with TipTap's own parser (@tiptap/html), print the PM JSON
//   node interop.mjs to-html <pm.json>           print the HTML TipTap renders for PM JSON
import { readFileSync, writeFileSync } from 'node:fs'
import * as Y from 'yjs'
import { getSchema } from '@tiptap/core'
import StarterKit from '@tiptap/starter-kit'
import { Table, TableRow, TableHeader, TableCell } from '@tiptap/extension-table'
import { TaskList, TaskItem } from '@tiptap/extension-list'
import Image from '@tiptap/extension-image'
import { Node } from 'prosemirror-model'
import { prosemirrorJSONToYDoc, yXmlFragmentToProseMirrorRootNode } from '@tiptap/y-tiptap'
import { generateHTML, generateJSON } from '@tiptap/html'

// The editor's extensions: StarterKit plus tables, task lists (items may
// nest lists, like list items) and block images (Image's default inline: false).
const extensions = [
  StarterKit,
  Table,
  TableRow,
  TableHeader,
  TableCell,
  TaskList,
  TaskItem.configure({ nested: true }),
  Image,
]
const schema = getSchema(extensions)
const [mode, a, b] = process.argv.slice(2)

const dumpType = (t, indent = '') => {
  const out = []
  for (const child of t.toArray()) {
    if (child instanceof Y.XmlText) {
      out.push(indent + 'XmlText ' + JSON.stringify(child.toDelta()))
    } else if (child instanceof Y.XmlElement) {
      out.push(indent + `XmlElement <${child.nodeName}> ` + JSON.stringify(child.getAttributes()))
      out.push(...dumpType(child, indent + '  '))
    }
  }
  return out
}

if (mode === 'schema') {
  for (const [name, t] of Object.entries(schema.nodes)) {
    console.log('node', name, JSON.stringify(Object.fromEntries(Object.entries(t.spec.attrs || {}).map(([k, v]) => [k, v.default]))), t.spec.content || '')
  }
  for (const [name, t] of Object.entries(schema.marks)) {
    console.log('mark', name, JSON.stringify(Object.fromEntries(Object.entries(t.spec.attrs || {}).map(([k, v]) => [k, v.default]))), 'excludes=' + JSON.stringify(t.spec.excludes))
  }
} else if (mode === 'to-json') {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, readFileSync(a))
  const node = yXmlFragmentToProseMirrorRootNode(doc.getXmlFragment('default'), schema)
  node.check() // throws if our layout violates the TipTap schema
  console.log(JSON.stringify(node.toJSON()))
} else if (mode === 'from-json') {
  const json = JSON.parse(readFileSync(a, 'utf8'))
  Node.fromJSON(schema, json).check()
  const doc = prosemirrorJSONToYDoc(schema, json, 'default')
  writeFileSync(b, Y.encodeStateAsUpdate(doc))
} else if (mode === 'dump') {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, readFileSync(a))
  console.log(dumpType(doc.getXmlFragment('default')).join('\n'))
} else if (mode === 'from-html') {
  const json = generateJSON(readFileSync(a, 'utf8'), extensions)
  Node.fromJSON(schema, json).check()
  console.log(JSON.stringify(json))
} else if (mode === 'to-html') {
  const json = JSON.parse(readFileSync(a, 'utf8'))
  Node.fromJSON(schema, json).check()
  console.log(generateHTML(json, extensions))
} else {
  console.error('usage: node interop.mjs schema | to-json <update.bin> | from-json <pm.json> <out.bin> | dump <update.bin> | from-html <doc.html> | to-html <pm.json>')
  process.exit(2)
}
