'use strict'
// Prints one field of the JSON on the first line of a file (or of stdin with "-"), or "none": for the test scripts.
const fs = require('fs')
const [file, field] = process.argv.slice(2)
try {
  console.log(JSON.parse(fs.readFileSync(file === '-' ? 0 : file, 'utf8').split('\n')[0])[field])
} catch {
  console.log('none')
}
