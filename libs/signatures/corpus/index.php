<?php
// A plain page: echoes a greeting, evaluates nothing.
$name = htmlspecialchars($_GET['name'] ?? 'world');
echo "Hello, {$name}!";
